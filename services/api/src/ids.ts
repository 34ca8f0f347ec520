/**
 * Identifiers. BullMQ refuses custom job ids that are all digits and breaks on ids with `:`, so every
 * id here is `<kind>_<base64url>`. Derived ids (idempotency keys, schedule firings) are hashes of
 * their inputs, so a retried or concurrent creation lands on the same id instead of a duplicate.
 */
import { createHash, randomBytes } from 'node:crypto';

export type IdKind = 'j' | 'b' | 's' | 'wh';

export function newId(kind: IdKind): string {
  return `${kind}_${randomBytes(15).toString('base64url')}`;
}

export function derivedId(kind: IdKind, ...parts: string[]): string {
  return `${kind}_${createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 20)}`;
}

/** JSON with object keys sorted, so two bodies that differ only in key order hash the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
