import type { Redis } from 'ioredis';

/** Every key under `prefix` (one deployment's or one run's), scanned in batches: KEYS would block Redis. */
export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const keys = new Set<string>();
  // SCAN may return a key more than once.
  for await (const batch of redis.scanStream({ match: `${prefix}:*`, count: 1000 })) {
    for (const key of batch as string[]) keys.add(key);
  }
  return [...keys];
}

/** Deletes every key under `prefix`, and nothing else in Redis. */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  for await (const batch of redis.scanStream({ match: `${prefix}:*`, count: 1000 })) {
    if ((batch as string[]).length > 0) await redis.unlink(...(batch as string[]));
  }
}
