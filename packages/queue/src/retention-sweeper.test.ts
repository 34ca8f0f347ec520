import { randomBytes } from 'node:crypto';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { initJobOptions, type JobRetention } from './init-queue.js';
import { startRetentionSweeper, sweepFinishedJobs } from './retention-sweeper.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const QUEUE = 'sweep-test';
const prefix = `ddtest-sweep-${randomBytes(4).toString('hex')}`;
const connections = [new Redis(REDIS_URL), new Redis(REDIS_URL, { maxRetriesPerRequest: null })];
const queue = new Queue(QUEUE, { connection: connections[0]!, prefix });
const events = new QueueEvents(QUEUE, { connection: connections[1]!, prefix });
/** Long enough that no job of a batch is past it while the batch still runs, on a busy machine. */
const retention: JobRetention = { completedSeconds: 4, failedSeconds: 4 };
const workerConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
let worker: Worker;

beforeAll(async () => {
  await events.waitUntilReady();
  worker = new Worker(
    QUEUE,
    async (job) => {
      if (job.data.fail) throw new Error('failing on purpose');
      return 'done';
    },
    { connection: workerConnection, prefix },
  );
});

afterAll(async () => {
  await worker.close();
  await queue.obliterate({ force: true });
  await events.close();
  await queue.close();
  await Promise.all([...connections, workerConnection].map((connection) => connection.quit()));
});

/** Adds jobs with the retention's options and waits until each is finished. */
async function finish(count: number, fail: boolean): Promise<string[]> {
  const options = { ...initJobOptions(retention), attempts: 1 };
  const jobs = await Promise.all(Array.from({ length: count }, () => queue.add('job', { fail }, options)));
  await Promise.all(jobs.map((job) => job.waitUntilFinished(events).catch(() => undefined)));
  return jobs.map((job) => job.id!);
}

const jobKeys = async () =>
  (await connections[0]!.keys(`${prefix}:${QUEUE}:*`)).filter((key) => /:\d+$/.test(key));

describe('retention of finished jobs', () => {
  it('keeps the last finished jobs until a sweep after their retention removes them', async () => {
    await finish(3, false);
    await finish(2, true);
    // BullMQ's own age check ran only as each job finished, when none was old enough.
    expect(await queue.getJobCounts('completed', 'failed')).toEqual({ completed: 3, failed: 2 });
    expect(await sweepFinishedJobs(queue, retention)).toBe(0);

    await new Promise((resolve) => setTimeout(resolve, 4_200));
    expect(await sweepFinishedJobs(queue, retention)).toBe(5);
    expect(await queue.getJobCounts('completed', 'failed')).toEqual({ completed: 0, failed: 0 });
    expect(await jobKeys()).toEqual([]);
  });

  it('sweeps on a timer, without any later job finishing', async () => {
    const ids = await finish(2, false);
    const sweeper = startRetentionSweeper(queue, retention, { intervalMs: 200 });
    try {
      const deadline = Date.now() + 10_000;
      while (((await queue.getJobCounts('completed')).completed ?? 0) > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await sweeper.stop();
    }
    for (const id of ids) expect(await queue.getJob(id)).toBeUndefined();
  });
});
