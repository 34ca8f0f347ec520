import { defineError } from '@ddinit/contracts';

/** A backend that was asked for by name could not be loaded; `reason` says why. */
export const backendUnavailable = defineError(
  'backend_unavailable',
  (backend: string, reason: string) => `TensorFlow.js backend '${backend}' is unavailable: ${reason}`,
);

/** `selectBackend` or `DDINIT_BACKEND` named something that is not a backend. */
export const backendUnknown = defineError(
  'backend_unknown',
  (value: string, known: readonly string[]) =>
    `unknown TensorFlow.js backend '${value}'; expected one of ${known.join(', ')} or auto`,
);
