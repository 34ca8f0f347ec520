/** The backends `selectBackend` can pick, fastest first. */
export const BACKEND_NAMES = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;

/**
 * A TensorFlow.js backend as ddinit names it. `tensorflow-gpu` and `tensorflow` are the native
 * libtensorflow bindings (`@tensorflow/tfjs-node-gpu`, `@tensorflow/tfjs-node`); both register under
 * the tfjs backend name `tensorflow`.
 */
export type BackendName = (typeof BACKEND_NAMES)[number];

/** What `selectBackend` chose; log it and put it in job results. */
export interface BackendInfo {
  name: BackendName;
  /**
   * Threads the backend computes with: for wasm the pool size its native side reports, for
   * libtensorflow the cores, for cpu 1.
   */
  threads: number;
  /** How the backend was loaded, or why a faster one was skipped. */
  detail?: string;
}

/** True when `value` names a backend (not `auto`). */
export function isBackendName(value: string): value is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(value);
}

/** The name under which tfjs registers a ddinit backend. */
export function tfjsBackendName(name: BackendName): string {
  return name === 'tensorflow-gpu' ? 'tensorflow' : name;
}
