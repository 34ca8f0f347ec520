import { z } from 'zod';

/** One bad field of a request: where it is (`body.dataset.sample`) and what is wrong with it. */
export const FieldError = z.object({
  path: z.string().describe('location of the field: body.…, query.…, params.… or headers.…'),
  message: z.string(),
});
export type FieldError = z.infer<typeof FieldError>;

/**
 * Every error the API returns, as RFC 9457 `application/problem+json`. `code` is stable and meant for
 * programs; `title` and `detail` are for people and may change.
 */
export const Problem = z
  .object({
    /** A URI naming the problem type: `urn:ddinit:problem:<code>`. */
    type: z.string(),
    title: z.string(),
    status: z.int().min(400).max(599),
    detail: z.string(),
    code: z.string(),
    /** The request path the problem occurred on. */
    instance: z.string().optional(),
    /** Validation problems list every bad field, not just the first one. */
    errors: z.array(FieldError).optional(),
  })
  .loose();
export type Problem = z.infer<typeof Problem>;
