import { z } from 'zod';

/** The query of a list paged by cursor: newest first, `cursor` from the previous page's `nextCursor`. */
export const PageQuery = z.object({
  /** Items per page. @defaultValue 20 */
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(200).optional(),
});

/** A page of a list: what `pageOf` describes, for code that only reads pages. */
export interface Page<T> {
  items: T[];
  /** Pass as `cursor` for the next page; null when there is none. */
  nextCursor: string | null;
}

/** A page of `item`s and where the next one starts. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    /** Pass as `cursor` for the next page; null when there is none. */
    nextCursor: z.string().nullable(),
  });
}
