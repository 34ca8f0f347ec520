/**
 * The worker end to end: real Redis, an S3 server, the sandboxed processor running the example model
 * on the wasm backend. Jobs are added to the queue directly, as the API would add them.
 */
import type { JobResult } from '@ddinit/contracts';
import { DEFAULT_JOB_OPTIONS, INIT_JOB, INIT_QUEUE, InitJobData, JobStore } from '@ddinit/queue';
import * as tf from '@tensorflow/tfjs';
import { QueueEventsProducer } from 'bullmq';
import { Redis } from 'ioredis';
import { CANCEL_EVENT, loadConfig, startWorker, type WorkerHandle } from './main.js';
import {
  addJob,
  childrenOf,
  type Fixtures,
  finalState,
  isAlive,
  REDIS_URL,
  recordProgress,
  s3ModelHandler,
  setUp,
  specFor,
  waitFor,
  workersKilledAfterEach,
} from './testing/fixtures.js';

/** Each test's bound; the jest default (120 s) is the whole file's budget. */
const BOUND = 60_000;
/**
 * Thirty between-layer rounds keep the engine busy for seconds: jobs that must still be running when a
 * cancel, a SIGTERM or the timeout arrives, however slow the progress events are to come through.
 */
const LONG_INIT = { batchSize: 8, between: 'iterative', iterations: 30, tolerance: 1e-6 } as const;
/** Long enough to be running when the SIGTERM comes, short enough for a second worker to finish. */
const HANDED_BACK_INIT = { batchSize: 8, between: 'iterative', iterations: 6, tolerance: 1e-6 } as const;

let fx: Fixtures;
beforeAll(async () => {
  fx = await setUp('worker');
  // Only to load the written checkpoint back; the jobs themselves run on wasm in the sandbox.
  tf.env().set('IS_TEST', true);
  await tf.setBackend('cpu');
});
afterAll(() => fx.close());

/** Log lines of the in-process worker, kept for failure messages rather than printed. */
const logs: string[] = [];
const log = (level: string, message: string, fields?: Record<string, unknown>) =>
  void logs.push(JSON.stringify({ level, message, ...fields }));

describe('a worker in this process (sandboxed processor)', () => {
  let handle: WorkerHandle;
  beforeAll(async () => {
    handle = await startWorker({ ...loadConfig(fx.env), healthPort: 0 }, { handleSignals: false, log });
  });
  afterAll(() => handle.close());

  it(
    'runs a job to a checkpoint under a per-attempt folder that tfjs loads',
    async () => {
      const job = await addJob(fx.queue, specFor('ok'));
      const progress = recordProgress(fx.events, job.id!);
      const done = await finalState(fx.queue, job.id!);
      progress.stop();
      expect({ state: await done.getState(), reason: done.failedReason, logs }).toMatchObject({
        state: 'completed',
      });

      const result = done.returnvalue as JobResult;
      expect(result.checkpoint).toBe(`s3://ddinit-worker-test/out/ok/model.json`);
      const attempt = `out/ok/attempts/${job.id}-1/`;
      expect(result.files.map((file) => file.uri)).toEqual([
        `s3://ddinit-worker-test/${attempt}group1-shard1of1.bin`,
        `s3://ddinit-worker-test/${attempt}weights.safetensors`,
        's3://ddinit-worker-test/out/ok/model.json',
        's3://ddinit-worker-test/out/ok/report.html',
        's3://ddinit-worker-test/out/ok/report.json',
      ]);
      for (const file of result.files) {
        const key = file.uri.slice('s3://ddinit-worker-test/'.length);
        expect(await fx.store.stat(key)).toEqual({ bytes: file.bytes });
      }

      const model = await tf.loadLayersModel(s3ModelHandler(fx.store, 'out/ok/model.json'), { strict: true });
      const output = tf.tidy(() => (model.predict(tf.ones([1, 32, 32, 3])) as tf.Tensor).dataSync());
      expect(output).toHaveLength(10);
      expect(Array.from(output).every(Number.isFinite)).toBe(true);
      const report = JSON.parse(new TextDecoder().decode(await fx.store.get('out/ok/report.json')));
      // The job's report also times the save, which report.json (written during it) cannot.
      const { timingsMs: _, ...reported } = JSON.parse(JSON.stringify(result.report));
      expect(report).toMatchObject(reported);
      expect(report.backend.name).toBe('wasm');

      const fractions = progress.updates.map((update) => update.fraction as number);
      expect(fractions.length).toBeGreaterThanOrEqual(3);
      expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
      expect(fractions.at(-1)).toBe(1);
      expect(progress.updates[0]).toMatchObject({ phase: 'load' });
      expect(progress.updates.some((update) => typeof update.layers === 'number')).toBe(true);
    },
    BOUND,
  );

  it.each([
    [
      'a model.json that is not JSON',
      { model: { uri: 's3://ddinit-worker-test/broken/model.json' } },
      'model_invalid_json',
    ],
    [
      'a dataset prefix with no images',
      { dataset: { uri: 's3://ddinit-worker-test/empty/', sample: 16, heldOut: 8 } },
      'data_empty',
    ],
    ['a bucket the worker may not use', { output: { uri: 's3://other-bucket/out/' } }, 'bucket_not_allowed'],
    [
      'a model that does not exist',
      { model: { uri: 's3://ddinit-worker-test/nope/model.json' } },
      'model_not_found',
    ],
  ])(
    'fails %s once, with the error code, without retrying',
    async (_, overrides, code) => {
      const job = await addJob(fx.queue, specFor('bad', overrides));
      const done = await finalState(fx.queue, job.id!);
      expect(await done.getState()).toBe('failed');
      expect(done.failedReason).toMatch(new RegExp(`^${code}: `));
      expect(done.attemptsMade).toBe(1);
      expect(done.opts.attempts).toBe(3);
      expect(await fx.store.list('out/bad')).toEqual([]);
    },
    BOUND,
  );

  it(
    'cancels a running job on a cancel-requested event, without retrying',
    async () => {
      const job = await addJob(fx.queue, specFor('cancelled', { init: LONG_INIT }));
      const progress = recordProgress(fx.events, job.id!);
      // Past loading and data: the engine itself must notice, across the process boundary.
      await waitFor('the engine to run', () =>
        progress.updates.some((update) => !['load', 'data'].includes(update.phase as string)),
      );
      // As the API publishes it.
      const connection = new Redis(REDIS_URL);
      const producer = new QueueEventsProducer(INIT_QUEUE, { connection, prefix: fx.prefix });
      await producer.publishEvent({ eventName: CANCEL_EVENT, jobId: job.id! });
      await producer.close();
      await connection.quit();

      const done = await finalState(fx.queue, job.id!);
      progress.stop();
      expect(await done.getState()).toBe('failed');
      expect(done.failedReason).toBe('cancelled: the job was cancelled on request');
      expect(done.attemptsMade).toBe(1);
      expect(await fx.store.stat('out/cancelled/model.json')).toBeUndefined();
    },
    BOUND,
  );

  it(
    'never starts a job whose cancel was recorded while it was not running',
    async () => {
      // A delayed job: queued with a cancel already recorded, as the API records one it cannot deliver.
      const spec = specFor('cancelled-early');
      const data = InitJobData.parse({ spec, tenant: 'test', submittedAt: new Date().toISOString() });
      const id = `early-${Date.now()}`;
      const connection = new Redis(REDIS_URL);
      const records = new JobStore(connection, { prefix: fx.prefix });
      await records.create({ id, tenant: 'test', spec: data.spec, createdAt: data.submittedAt });
      expect(await records.requestCancel(id, new Date().toISOString())).toBe(true);
      await fx.queue.add(INIT_JOB, data, { ...DEFAULT_JOB_OPTIONS, jobId: id, delay: 200 });
      const done = await finalState(fx.queue, id);
      await connection.quit();
      expect(done.failedReason).toBe('cancelled: the job was cancelled on request');
      expect(done.attemptsMade).toBe(1);
      expect(done.progress).toBe(0);
      expect(await fx.store.list('out/cancelled-early')).toEqual([]);
    },
    BOUND,
  );

  it('serves health and metrics', async () => {
    const health = await fetch(`http://127.0.0.1:${handle.healthPort}/healthz`);
    expect(health.status).toBe(200);
    // The tests above completed one job and failed others.
    expect(await health.json()).toMatchObject({
      status: 'ok',
      running: true,
      completedJobs: 1,
      activeJobs: 0,
    });
    const metrics = await (await fetch(`http://127.0.0.1:${handle.healthPort}/metrics`)).text();
    expect(metrics).toContain('ddinit_worker_jobs_total{outcome="completed"} 1\n');
    expect(metrics).toMatch(/ddinit_worker_jobs_total\{outcome="failed"\} [1-9]/);
  });
});

describe('worker processes', () => {
  const spawnOne = workersKilledAfterEach(() => fx.env);

  it('retries the job of a killed worker on another, committing exactly one complete checkpoint', async () => {
    const first = spawnOne();
    const job = await addJob(fx.queue, specFor('killed'));
    const progress = recordProgress(fx.events, job.id!);

    // Watch the commit point the whole time: any model.json must name shards that exist.
    const incomplete: string[] = [];
    let watching = true;
    let sightings = 0;
    const checkCommit = async () => {
      const modelJson = await fx.store.get('out/killed/model.json').catch(() => undefined);
      if (modelJson === undefined) return;
      let paths: string[];
      try {
        paths = JSON.parse(new TextDecoder().decode(modelJson)).weightsManifest[0].paths;
      } catch {
        // s3rver writes objects in place, so a read racing the write can see part of it; S3 itself
        // only ever shows a whole object. What matters here is what a whole model.json points at.
        return;
      }
      sightings++;
      for (const p of paths) if ((await fx.store.stat(`out/killed/${p}`)) === undefined) incomplete.push(p);
    };
    const watcher = (async () => {
      while (watching) {
        await checkCommit();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await checkCommit();
    })();

    // Kill once the engine runs (past loading), so the attempt is well under way.
    await waitFor('the first worker to run the job', () =>
      progress.updates.some((update) => (update.fraction as number) > 0),
    );
    const sandboxes = await childrenOf(first.child.pid!);
    expect(sandboxes.length).toBeGreaterThan(0);
    first.child.kill('SIGKILL');
    await first.exited;
    // The sandboxed child must not finish the attempt unseen.
    await waitFor(
      'the sandboxed child to exit with its worker',
      () => sandboxes.every((pid) => !isAlive(pid)),
      5000,
    );

    const second = spawnOne();
    const done = await finalState(fx.queue, job.id!, 50_000);
    progress.stop();
    watching = false;
    await watcher;
    expect({ state: await done.getState(), reason: done.failedReason, log: second.log() }).toMatchObject({
      state: 'completed',
    });
    expect(done.attemptsStarted).toBe(2);

    const keys = await fx.store.list('out/killed');
    expect(keys.filter((key) => key.endsWith('model.json'))).toEqual(['out/killed/model.json']);
    const modelJson = JSON.parse(new TextDecoder().decode(await fx.store.get('out/killed/model.json')));
    expect(modelJson.weightsManifest[0].paths).toEqual([`attempts/${job.id}-2/group1-shard1of1.bin`]);
    expect(keys).toContain(`out/killed/attempts/${job.id}-2/group1-shard1of1.bin`);
    expect(keys).toContain('out/killed/report.json');
    expect((done.returnvalue as JobResult).checkpoint).toBe('s3://ddinit-worker-test/out/killed/model.json');
    expect(sightings).toBeGreaterThan(0);
    expect(incomplete).toEqual([]);
    await tf.loadLayersModel(s3ModelHandler(fx.store, 'out/killed/model.json'), { strict: true });

    second.child.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
  }, 90_000);

  it(
    'on SIGTERM within the grace period, finishes the running job before it exits',
    async () => {
      const worker = spawnOne({ DDINIT_SHUTDOWN_GRACE_S: '60' });
      const job = await addJob(fx.queue, specFor('graceful'));
      const progress = recordProgress(fx.events, job.id!);
      await waitFor('the worker to run the job', () => progress.updates.length > 0);
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toEqual({ code: 0, signal: null });
      progress.stop();

      // Finished, not merely left running: the exit came after the completion.
      const done = (await fx.queue.getJob(job.id!))!;
      expect({ state: await done.getState(), log: worker.log() }).toMatchObject({ state: 'completed' });
      expect(done.attemptsStarted).toBe(1);
      expect(await fx.queue.getActiveCount()).toBe(0);
      const log = worker.log();
      expect(log.indexOf('"worker closing"')).toBeGreaterThan(-1);
      expect(log.indexOf('"job completed"')).toBeGreaterThan(log.indexOf('"worker closing"'));
      expect(await fx.store.stat('out/graceful/model.json')).toBeDefined();
    },
    BOUND,
  );

  it(
    'on SIGTERM past the grace period, hands the running job back, and another worker completes it once',
    async () => {
      const first = spawnOne({ DDINIT_SHUTDOWN_GRACE_S: '0' });
      const job = await addJob(fx.queue, specFor('shutdown', { init: HANDED_BACK_INIT }));
      const progress = recordProgress(fx.events, job.id!);
      await waitFor('the worker to run the job', () => progress.updates.length > 0);
      first.child.kill('SIGTERM');
      expect(await first.exited).toEqual({ code: 0, signal: null });
      expect(first.log()).toContain('handing it back to the queue');

      // Back at the head of the line at once: lock released, no attempt spent, nothing failed.
      const after = (await fx.queue.getJob(job.id!))!;
      expect(await after.getState()).toBe('waiting');
      expect(after.attemptsMade).toBe(0);
      expect(after.attemptsStarted).toBe(1);
      expect(after.failedReason).toBeUndefined();
      const connection = new Redis(REDIS_URL);
      const locked = await connection.exists(`${fx.prefix}:${INIT_QUEUE}:${job.id}:lock`);
      await connection.quit();
      expect(locked).toBe(0);
      expect(await fx.store.list('out/shutdown')).toEqual([]);

      const second = spawnOne();
      const done = await finalState(fx.queue, job.id!, 50_000);
      progress.stop();
      expect({ state: await done.getState(), reason: done.failedReason, log: second.log() }).toMatchObject({
        state: 'completed',
      });
      expect(done.attemptsStarted).toBe(2);
      // Run to completion once: one model.json, naming the second attempt's shards only.
      const keys = await fx.store.list('out/shutdown');
      expect(keys.filter((key) => key.endsWith('model.json'))).toEqual(['out/shutdown/model.json']);
      expect(keys.filter((key) => key.includes(`attempts/${job.id}-1/`))).toEqual([]);
      const modelJson = JSON.parse(new TextDecoder().decode(await fx.store.get('out/shutdown/model.json')));
      expect(modelJson.weightsManifest[0].paths).toEqual([`attempts/${job.id}-2/group1-shard1of1.bin`]);
      second.child.kill('SIGTERM');
      expect(await second.exited).toEqual({ code: 0, signal: null });
    },
    BOUND,
  );

  it(
    'fails a job that runs past DDINIT_JOB_TIMEOUT_S with timeout, without retrying',
    async () => {
      const worker = spawnOne({ DDINIT_JOB_TIMEOUT_S: '1' });
      const job = await addJob(fx.queue, specFor('timeout', { init: LONG_INIT }));
      const done = await finalState(fx.queue, job.id!);
      expect(await done.getState()).toBe('failed');
      expect(done.failedReason).toBe('timeout: the job ran longer than 1 s (DDINIT_JOB_TIMEOUT_S)');
      expect(done.attemptsMade).toBe(1);
      expect(await fx.store.stat('out/timeout/model.json')).toBeUndefined();
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toEqual({ code: 0, signal: null });
    },
    BOUND,
  );

  it(
    'refuses to start with a bad configuration, naming each bad variable',
    async () => {
      const worker = spawnOne({ DDINIT_LOCK_MS: 'soon', S3_FORCE_PATH_STYLE: 'maybe' });
      expect(await worker.exited).toEqual({ code: 1, signal: null });
      expect(worker.log()).toContain('invalid worker configuration');
      expect(worker.log()).toMatch(/DDINIT_LOCK_MS \("soon"\): /);
      expect(worker.log()).toMatch(/S3_FORCE_PATH_STYLE \("maybe"\): must be true or false/);
    },
    BOUND,
  );
});
