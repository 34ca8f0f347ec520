/**
 * The soak run: the real API (in this process) and worker processes over the local Redis, under a
 * queue prefix of the run's own; jobs of a tiny model submitted over HTTP, some cancelled at random
 * moments, workers SIGKILLed at random times and replaced. Every job is followed to its final state
 * and its checkpoint checked; then the run waits for retention and measures what the prefix still
 * holds in Redis.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type ApiConfig, loadConfig as loadApiConfig, type RunningApi, startApi } from '@ddinit/api';
import type { JobResource } from '@ddinit/contracts';
import { deletePrefix, INIT_QUEUE } from '@ddinit/queue';
import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import type { SoakOptions } from './options.js';
import { type Footprint, measureFootprint } from './redis-footprint.js';
import { SoakClient } from './soak-client.js';
import { type JobTrack, type SoakSummary, summarize } from './soak-summary.js';
import { writeSoakInputs } from './tiny-model.js';
import { verifyCheckpoint } from './verify-checkpoint.js';
import { WorkerPool } from './worker-pool.js';

const TENANT = 'soak';
const FINAL = new Set(['succeeded', 'failed', 'cancelled']);
const POLL_MS = 200;

/** Seeded uniform [0, 1) (mulberry32): the same seed makes the same cancels and kills. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Runs the soak and returns its figures. Aborting `signal` (SIGINT) stops submitting and following
 * jobs; the run still cleans up its processes, Redis keys and files.
 */
export async function runSoak(
  options: SoakOptions,
  progress: (line: string) => void,
  signal?: AbortSignal,
): Promise<SoakSummary> {
  const random = seededRandom(options.seed);
  const root = await mkdtemp(path.join(tmpdir(), 'ddinit-soak-'));
  const prefix = `ddinit-soak-${process.pid}-${Date.now()}`;
  progress(`queue prefix ${prefix}, files under ${root}`);
  const redis = new Redis(options.redisUrl);
  // BullMQ leaves a connection it was given open; this one is closed below.
  const eventsConnection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const events = new QueueEvents(INIT_QUEUE, { connection: eventsConnection, prefix });
  const completedEvents = new Map<string, number>();
  events.on('completed', ({ jobId }) => completedEvents.set(jobId, (completedEvents.get(jobId) ?? 0) + 1));
  const workerLog = options.workerLogFile
    ? createWriteStream(options.workerLogFile, { flags: 'a' })
    : undefined;
  const pool = new WorkerPool(
    {
      REDIS_URL: options.redisUrl,
      DDINIT_QUEUE_PREFIX: prefix,
      DDINIT_FILE_ROOT: root,
      DDINIT_BACKEND: options.backend,
      DDINIT_LOCK_MS: String(options.lockMs),
      DDINIT_SHUTDOWN_GRACE_S: '10',
    },
    (line) => progress(`worker: ${line}`),
    workerLog ? (pid, line) => workerLog.write(`${pid} ${line}\n`) : undefined,
  );
  let api: RunningApi | undefined;
  const jobs: JobTrack[] = [];
  try {
    const inputs = await writeSoakInputs(root);
    const key = `sk_soak_${randomBytes(12).toString('hex')}`;
    api = await startApi(apiConfig(options, prefix, root, key));
    await events.waitUntilReady();
    for (let i = 0; i < options.workers; i++) pool.start();
    await waitUntil('the workers to start', () => pool.figures.ready >= options.workers, 60_000);

    const jobIds = new Set<string>();
    const isJobKey = (redisKey: string) =>
      redisKey.includes(`:tenant:${TENANT}:`) || redisKey.split(':').some((part) => jobIds.has(part));
    const eventsKey = `${prefix}:${INIT_QUEUE}:events`;
    const footprint = () => measureFootprint(redis, prefix, isJobKey, eventsKey);
    const baseline = await footprint();

    const client = new SoakClient(api.url, key);
    const spec = (n: number) => ({
      model: { uri: pathToFileURL(path.join(root, inputs.modelKey)).href },
      dataset: { uri: `${pathToFileURL(path.join(root, inputs.imagesKey)).href}/`, sample: 8, heldOut: 4 },
      init: { batchSize: 4 },
      output: { uri: `${pathToFileURL(path.join(root, 'out', String(n))).href}/` },
    });

    const startedAt = Date.now();
    const deadline = startedAt + options.timeoutS * 1000;
    let nextKillAt = options.killIntervalS > 0 ? startedAt + nextKillDelay() : Number.POSITIVE_INFINITY;
    let lastReport = startedAt;
    const open = new Set<JobTrack>();

    const going = () => Date.now() < deadline && !signal?.aborted;
    while ((jobs.length < options.jobs || open.size > 0) && going()) {
      while (jobs.length < options.jobs && open.size < options.inFlight && going()) {
        const n = jobs.length;
        const answer = await client.submit(spec(n), `soak-${options.seed}-${n}`);
        if (answer.status !== 202 && answer.status !== 200)
          throw new Error(`submitting job ${n} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
        const track: JobTrack = {
          n,
          id: answer.body.id,
          submittedAt: Date.now(),
          ...(random() < options.cancelRate && { cancelAt: Date.now() + random() * options.cancelWithinMs }),
        };
        jobIds.add(track.id);
        jobs.push(track);
        open.add(track);
      }
      await Promise.all([...open].map((track) => follow(track)));
      // One kill at a time: none while a replacement is still starting, which on a busy machine can
      // take longer than the interval.
      if (Date.now() >= nextKillAt && pool.allReady) {
        await pool.killAndReplace(Math.floor(random() * pool.size));
        nextKillAt = Date.now() + nextKillDelay();
      }
      if (Date.now() - lastReport >= 10_000) {
        lastReport = Date.now();
        const final = jobs.length - open.size;
        progress(
          `${Math.round((lastReport - startedAt) / 1000)} s: ${jobs.length} submitted, ${final} final, ` +
            `${pool.figures.killed} workers killed`,
        );
      }
      await sleep(POLL_MS);
    }
    const finishedAt = Date.now();
    const lastCreatedAt = Math.max(...jobs.map((job) => job.submittedAt));

    // Retention: BullMQ's copies go after `retentionS` (the sweeper runs every half of it), the job
    // records `recordTtlS` after their creation.
    const settleBy = Math.max(
      finishedAt + options.retentionS * 1000,
      lastCreatedAt + options.recordTtlS * 1000,
    );
    progress(`all jobs followed; waiting ${Math.round((settleBy - Date.now()) / 1000)} s for retention`);
    let after: Footprint = await footprint();
    const retentionDeadline = settleBy + 30_000;
    while (after.jobKeys > 0 && Date.now() < retentionDeadline && !signal?.aborted) {
      await sleep(1_000);
      after = await footprint();
    }
    const settledAt = Date.now();
    await pool.stop();
    return summarize({
      options,
      jobs,
      pool: pool.figures,
      completedEvents,
      throttled: client.throttled,
      footprint: { baseline, after, settledAfterS: (settledAt - finishedAt) / 1000 },
      elapsedS: (finishedAt - startedAt) / 1000,
    });

    /** Reads the job; once final, checks its checkpoint; sends its cancel when due. */
    async function follow(track: JobTrack): Promise<void> {
      if (track.cancelAt !== undefined && track.cancelAnswer === undefined && Date.now() >= track.cancelAt) {
        track.cancelAnswer = (await client.cancel(track.id)).status;
      }
      const answer = await client.get(track.id);
      if (answer.status !== 200) {
        track.lost = `GET answered ${answer.status}`;
        open.delete(track);
        return;
      }
      const view: JobResource = answer.body;
      if (!FINAL.has(view.status)) return;
      open.delete(track);
      track.view = view;
      track.finishedAt = Date.now();
      if (view.status === 'succeeded' && view.result)
        track.checkpoint = await verifyCheckpoint(view.id, view.result);
      if (view.status === 'cancelled') track.committedBeforeCancel = await isCommitted(view.spec.output.uri);
    }
  } finally {
    await pool.stop();
    await api?.close();
    await events.close();
    await eventsConnection.quit();
    await deletePrefix(redis, prefix);
    await redis.quit();
    workerLog?.end();
    if (!options.keep) await rm(root, { recursive: true, force: true });
    else progress(`kept ${root}`);
  }

  /** Uniform between half and one and a half of the mean interval. */
  function nextKillDelay(): number {
    return (0.5 + random()) * options.killIntervalS * 1000;
  }
}

function apiConfig(options: SoakOptions, prefix: string, root: string, key: string): ApiConfig {
  const config = loadApiConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    REDIS_URL: options.redisUrl,
    DDINIT_QUEUE_PREFIX: prefix,
    DDINIT_API_KEYS: `${key}:${TENANT}`,
    DDINIT_FILE_ROOT: root,
    DDINIT_COMPLETED_RETENTION_S: String(options.retentionS),
    DDINIT_FAILED_RETENTION_S: String(options.retentionS),
    // The soak polls every open job several times a second; the rate limiter is not under test.
    DDINIT_RATE_LIMIT: 'off',
    LOG_LEVEL: 'silent',
  });
  // The environment counts record lifetimes in days; the soak needs seconds to see them expire.
  return { ...config, jobRecordTtlSeconds: options.recordTtlS };
}

/** Whether a model.json was committed under the output folder `uri`. */
async function isCommitted(uri: string): Promise<boolean> {
  return stat(path.join(fileURLToPath(uri), 'model.json')).then(
    () => true,
    () => false,
  );
}

async function waitUntil(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}
