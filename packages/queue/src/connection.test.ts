/**
 * The producer connection's promise to the API: a Redis that stops answering fails every pending
 * command, auto-pipelined or in an explicit pipeline, within the socket timeout, and the connection
 * comes back by itself once Redis answers again. A Redis of this test's own, paused with SIGSTOP.
 */
import type { Redis } from 'ioredis';
import { PRODUCER_SOCKET_TIMEOUT_MS, redisConnection } from './connection.js';
import { type RedisTestServer, startRedisServer } from './testing/redis-server.js';

let server: RedisTestServer;
let redis: Redis;

beforeAll(async () => {
  server = await startRedisServer({ appendfsync: 'no' });
});

afterAll(async () => {
  await server?.close();
});

beforeEach(async () => {
  redis = redisConnection(server.url, 'producer');
  redis.on('error', () => undefined);
  await new Promise((resolve) => redis.once('ready', resolve));
});

afterEach(() => {
  server.resume();
  redis.disconnect();
});

/** How long `work` took to settle, and how. */
async function settle(work: Promise<unknown>): Promise<{ ms: number; error?: Error }> {
  const start = performance.now();
  try {
    await work;
    return { ms: performance.now() - start };
  } catch (error) {
    return { ms: performance.now() - start, error: error as Error };
  }
}

test('commands issued in one tick go to Redis in one write, and answer as single commands would', async () => {
  const key = `ddtest-connection-${process.pid}`;
  await redis.ping();
  const stream = redis.stream;
  const write = stream.write.bind(stream);
  let writes = 0;
  stream.write = ((...args: Parameters<typeof write>) => {
    writes += 1;
    return write(...args);
  }) as typeof stream.write;
  try {
    const replies = await Promise.all([
      redis.set(key, 'v', 'EX', 60),
      redis.get(key),
      redis.hgetall(`${key}:none`),
    ]);
    expect(replies).toEqual(['OK', 'v', {}]);
    expect(writes).toBe(1);
  } finally {
    stream.write = write;
    await redis.del(key);
  }
});

test('a Redis that stops answering fails pending commands within the socket timeout', async () => {
  server.pause();
  const [single, pipelined] = await Promise.all([
    settle(redis.get('a')),
    // A pipeline resolves with each command's error rather than rejecting.
    settle(
      redis
        .pipeline()
        .get('b')
        .get('c')
        .exec()
        .then((replies) => {
          const failed = replies?.find(([error]) => error);
          if (failed) throw failed[0];
        }),
    ),
  ]);
  for (const outcome of [single, pipelined]) {
    expect(outcome.error).toBeInstanceOf(Error);
    expect(outcome.ms).toBeGreaterThanOrEqual(PRODUCER_SOCKET_TIMEOUT_MS - 50);
    expect(outcome.ms).toBeLessThan(PRODUCER_SOCKET_TIMEOUT_MS + 500);
  }
  // While it is away, commands are refused at once rather than queued.
  expect(redis.status).not.toBe('ready');
  const refused = await settle(redis.get('d'));
  expect(refused.error).toBeInstanceOf(Error);
  expect(refused.ms).toBeLessThan(50);

  server.resume();
  await new Promise((resolve) => redis.once('ready', resolve));
  expect(await redis.ping()).toBe('PONG');
}, 20_000);
