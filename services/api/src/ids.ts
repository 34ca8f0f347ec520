/**
 * Identifiers. BullMQ refuses custom job ids that are all digits and breaks on ids with `:`, so every
 * id here is `<kind>_` and base64url characters. Derived ids (idempotency keys, schedule firings) are
 * hashes of their inputs, so a retried or concurrent creation lands on the same id instead of a
 * duplicate.
 */
import { hash, randomUUID } from 'node:crypto';

export type IdKind = 'j' | 'b' | 's' | 'wh';

/** 122 random bits, from `randomUUID`'s pooled entropy rather than a getrandom call per id. */
export function newId(kind: IdKind): string {
  return `${kind}_${randomUUID().replaceAll('-', '')}`;
}

/**
 * Whether `id` has the shape of a job id this API makes. Other strings (a BullMQ key name such as
 * `events`, a job id with a `:logs` suffix) would address the queue's own keys, so they are not found
 * without being looked up.
 */
export function isJobId(id: string): boolean {
  return /^j_[A-Za-z0-9_-]{1,64}$/.test(id);
}

export function derivedId(kind: IdKind, ...parts: string[]): string {
  return `${kind}_${hash('sha256', parts.join('\u0000'), 'base64url').slice(0, 20)}`;
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
  return hash('sha256', text);
}
