import { Redis, type RedisOptions } from 'ioredis';

/**
 * Longest a producer command may wait for its reply. Redis answers the API's commands in
 * milliseconds; past this it has stopped answering without closing the connection (a paused
 * process, a partitioned network, a node gone silent), and the request is better refused with a 503
 * than left waiting. Under the 1 s in which the API promises its 503 during an outage.
 */
export const PRODUCER_COMMAND_TIMEOUT_MS = 750;

/**
 * A Redis connection for one role. Workers block on Redis and must retry forever
 * (`maxRetriesPerRequest: null`, which BullMQ requires); producers in the API fail fast instead of
 * queueing commands while Redis is away or waiting on one that stopped answering, so requests get a
 * 503 rather than hanging. (Producers do not auto-pipeline: ioredis then stops timing out single
 * commands, and a silent Redis would hold requests far past the promised second.)
 */
export function redisConnection(url: string, role: 'worker' | 'producer', options: RedisOptions = {}): Redis {
  return new Redis(url, {
    ...(role === 'worker'
      ? { maxRetriesPerRequest: null }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: PRODUCER_COMMAND_TIMEOUT_MS }),
    ...options,
  });
}
