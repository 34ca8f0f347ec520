/**
 * What a queue prefix holds in Redis: keys and bytes (MEMORY USAGE), split into per-job keys (any key
 * naming a job or the run's tenant: BullMQ job hashes and logs, job records, indexes) and the rest
 * (queue metadata, the events stream). Scoped to the prefix, so other users of a shared Redis do not
 * blur it the way INFO's used_memory would.
 */
import { keysUnder } from '@ddinit/queue';
import type { Redis } from 'ioredis';

export interface Footprint {
  keys: number;
  bytes: number;
  /** Keys that belong to one job or to the run's tenant; retention must remove them all. */
  jobKeys: number;
  jobBytes: number;
  /** BullMQ's events stream of the init queue: capped by length (about 10,000 events), not by time. */
  eventsStream: { entries: number; bytes: number };
}

export async function measureFootprint(
  redis: Redis,
  prefix: string,
  isJobKey: (key: string) => boolean,
  eventsKey: string,
): Promise<Footprint> {
  const unique = await keysUnder(redis, prefix);
  const pipeline = redis.pipeline();
  for (const key of unique) pipeline.memory('USAGE', key, 'SAMPLES', 0);
  const sizes = ((await pipeline.exec()) ?? []).map(([, size]) => Number(size ?? 0));
  const footprint: Footprint = {
    keys: unique.length,
    bytes: 0,
    jobKeys: 0,
    jobBytes: 0,
    eventsStream: { entries: 0, bytes: 0 },
  };
  for (const [i, key] of unique.entries()) {
    const bytes = sizes[i] ?? 0;
    footprint.bytes += bytes;
    if (isJobKey(key)) {
      footprint.jobKeys++;
      footprint.jobBytes += bytes;
    } else if (key === eventsKey) {
      footprint.eventsStream = { entries: await redis.xlen(key), bytes };
    }
  }
  return footprint;
}
