import { type FieldError, Problem } from '@ddinit/contracts';
import { z } from 'zod';
import { validationProblem } from '../problems.js';

/** Path ids: malformed ones are simply not found, so the schema only bounds their size. */
export const IdParams = z.object({ id: z.string().min(1).max(128) });

/** Documents the problem responses of a route (the error handler sends them; see problems.ts). */
export function problemResponses(...statuses: number[]): Record<number, typeof Problem> {
  return Object.fromEntries(statuses.map((status) => [status, Problem]));
}

/** Routes behind an API key answer these whatever they do. */
export const AUTHED = [401, 429, 503] as const;

export function assertNoFieldErrors(errors: FieldError[]): void {
  if (errors.length > 0) throw validationProblem(errors);
}
