/**
 * A worker process told to stop while its Redis is gone: a Redis of this test's own, killed under a
 * running worker. The shutdown must still end, in time for the platform's kill timeout.
 */
import { type RedisTestServer, startRedisServer } from '../../../packages/queue/src/testing/redis-server.js';
import { assertBuilt, spawnWorker, type WorkerProcess, waitFor } from './testing/fixtures.js';

let redis: RedisTestServer;
let worker: WorkerProcess | undefined;
beforeAll(async () => {
  assertBuilt();
  redis = await startRedisServer();
});
afterAll(async () => {
  if (worker && worker.child.exitCode === null && worker.child.signalCode === null) {
    worker.child.kill('SIGKILL');
    await worker.exited;
  }
  await redis.close();
});

test('SIGTERM while Redis is unreachable: exits 0 within the grace period and 5 s', async () => {
  worker = spawnWorker({
    REDIS_URL: redis.url,
    DDINIT_QUEUE_PREFIX: `ddinit-test-shutdown-${process.pid}`,
    DDINIT_BACKEND: 'wasm',
    DDINIT_SHUTDOWN_GRACE_S: '1',
  });
  const { log } = worker;
  await waitFor('the worker to start', () => log().includes('"worker started"'));
  await redis.kill();
  await new Promise((resolve) => setTimeout(resolve, 500));

  const signalledAt = Date.now();
  worker.child.kill('SIGTERM');
  expect(await worker.exited).toEqual({ code: 0, signal: null });
  // The grace period, the wait after the abort, and a margin for process exit on a busy machine.
  expect(Date.now() - signalledAt).toBeLessThan(1_000 + 5_000 + 1_500);
  expect(log()).toContain('the worker did not close in time');
}, 60_000);
