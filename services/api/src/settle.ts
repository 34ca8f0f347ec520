import type { Redis } from 'ioredis';

/**
 * Waits for `work` at most `ms`. On timeout or failure, `fallback` runs and is not waited for: BullMQ's
 * close() can wait forever on a connection that never came up, and shutdown must not.
 */
export async function settleWithin(
  ms: number,
  work: () => Promise<unknown>,
  fallback: () => unknown,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  const outcome = await Promise.race([work().catch(() => 'failed' as const), timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout' || outcome === 'failed') {
    try {
      void Promise.resolve(fallback()).catch(() => undefined);
    } catch {
      // Nothing left to do: the fallback was the last resort.
    }
  }
}

/**
 * Closes a connection: QUIT when connected (pending replies arrive first), else disconnect, which also
 * cancels ioredis's pending reconnect timer that QUIT would leave running. An ended connection is left
 * alone: disconnecting it again would only start ioredis's 2 s timer for a socket already closed.
 */
export async function closeRedis(redis: Redis, ms: number): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  await settleWithin(
    ms,
    () => redis.quit(),
    () => redis.disconnect(),
  );
}
