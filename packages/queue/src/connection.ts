import { Redis, type RedisOptions } from 'ioredis';

/**
 * A Redis connection for one role. Workers block on Redis and must retry forever
 * (`maxRetriesPerRequest: null`, which BullMQ requires); producers in the API fail fast instead of
 * queueing commands while Redis is away, so requests get a 503 rather than hanging.
 */
export function redisConnection(url: string, role: 'worker' | 'producer', options: RedisOptions = {}): Redis {
  return new Redis(url, {
    ...(role === 'worker'
      ? { maxRetriesPerRequest: null }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false }),
    ...options,
  });
}
