/**
 * The one error type every ddinit package throws for expected failures (bad input, missing files, a
 * layer it cannot handle). `code` is stable: the CLI prints it, the API maps it to problem+json.
 * Each package declares its own codes with `defineError` in its `errors.ts`.
 */
export class DdinitError extends Error {
  override readonly name = 'DdinitError';
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** True for errors that are the caller's fault and will not go away on retry. */
export function isDdinitError(error: unknown): error is DdinitError {
  return error instanceof DdinitError || (error instanceof Error && error.name === 'DdinitError');
}

/**
 * Declares an error code with its message template, in the style of fastify's `createError`.
 * `defineError('model_not_found', (path: string) => `no model at ${path}`)` returns a factory.
 */
export function defineError<A extends unknown[]>(code: string, message: (...args: A) => string) {
  const make = (...args: A) => new DdinitError(code, message(...args));
  return Object.assign(make, { code });
}
