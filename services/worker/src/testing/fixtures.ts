/**
 * What the worker tests share: an S3 server holding the example model and images, a queue under a
 * prefix of its own (so test runs never see each other's jobs), and a worker process to start and kill.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobResult, JobSpecInput } from '@ddinit/contracts';
import { DEFAULT_JOB_OPTIONS, deletePrefix, INIT_JOB, INIT_QUEUE, InitJobData } from '@ddinit/queue';
import { createS3Client, S3Store } from '@ddinit/storage';
import * as tf from '@tensorflow/tfjs';
import { type Job, type JobsOptions, Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { waitFor } from '../../../../packages/queue/src/testing/wait-for.js';
import {
  type S3FaultProxy,
  startS3FaultProxy,
} from '../../../../packages/storage/src/testing/s3-fault-proxy.js';
import { type S3TestServer, startS3Server } from '../../../../packages/storage/src/testing/s3-server.js';
import { processorPath } from '../main.js';

export { waitFor };

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const RUN_SCRIPT = path.join(ROOT, 'services/worker/dist/run.js');
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const BUCKET = 'ddinit-worker-test';

/** The worker forks compiled files; a stale or missing build would test old code or nothing. */
export function assertBuilt(): void {
  for (const file of [processorPath, RUN_SCRIPT])
    if (!existsSync(file)) throw new Error(`${file} is missing: run \`npx tsc -b\` before these tests`);
}

export interface Fixtures {
  s3: S3TestServer;
  store: S3Store;
  prefix: string;
  queue: Queue;
  events: QueueEvents;
  /** Environment for `loadConfig` and worker processes. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** S3 with `models/vgg-cifar/model.json`, `images/` (40 images), `broken/model.json` and `empty/`. */
export async function setUp(name: string): Promise<Fixtures> {
  assertBuilt();
  const s3 = await startS3Server([BUCKET, 'other-bucket']);
  const client = createS3Client(s3.settings);
  const store = new S3Store({ client, bucket: BUCKET });
  await store.put(
    'models/vgg-cifar/model.json',
    await readFile(path.join(ROOT, 'examples/models/vgg-cifar/model.json')),
  );
  const images = (await readdir(path.join(ROOT, 'examples/images'))).sort().slice(0, 40);
  await Promise.all(
    images.map(async (file) =>
      store.put(`images/${file}`, await readFile(path.join(ROOT, 'examples/images', file))),
    ),
  );
  await store.put('broken/model.json', new TextEncoder().encode('{"format": "layers-model", oops'));
  await store.put('empty/readme.txt', new TextEncoder().encode('no images here'));

  // Unique per file and run: parallel test files and earlier runs never share keys.
  const prefix = `ddinit-test-${name}-${process.pid}-${Date.now()}`;
  const connections = [new Redis(REDIS_URL), new Redis(REDIS_URL, { maxRetriesPerRequest: null })] as const;
  const queue = new Queue(INIT_QUEUE, { connection: connections[0], prefix });
  const events = new QueueEvents(INIT_QUEUE, { connection: connections[1], prefix });
  await events.waitUntilReady();
  const env = {
    REDIS_URL,
    DDINIT_QUEUE_PREFIX: prefix,
    S3_ENDPOINT: s3.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    DDINIT_ALLOWED_BUCKETS: BUCKET,
    DDINIT_BACKEND: 'wasm',
    DDINIT_LOCK_MS: '3000',
  };
  return {
    s3,
    store,
    prefix,
    queue,
    events,
    env,
    close: async () => {
      await events.close();
      await queue.close();
      // The queue and the job records some tests write beside it.
      await deletePrefix(connections[0], prefix);
      // BullMQ leaves connections it was given open.
      await Promise.all(connections.map((connection) => connection.quit()));
      client.destroy();
      await s3.close();
    },
  };
}

/** A job spec over the fixtures: the example model and images, a tiny sample, output under `out/<name>/`. */
export function specFor(name: string, overrides: Partial<JobSpecInput> = {}): JobSpecInput {
  return {
    model: { uri: `s3://${BUCKET}/models/vgg-cifar/model.json` },
    dataset: { uri: `s3://${BUCKET}/images/`, sample: 16, heldOut: 8 },
    init: { batchSize: 8 },
    output: { uri: `s3://${BUCKET}/out/${name}/` },
    ...overrides,
  };
}

/** Adds a job as the API does: validated data, the shared default options (or `options` over them). */
export function addJob(queue: Queue, spec: JobSpecInput, options: JobsOptions = {}): Promise<Job> {
  const data = InitJobData.parse({ spec, tenant: 'test', submittedAt: new Date().toISOString() });
  return queue.add(INIT_JOB, data, { ...DEFAULT_JOB_OPTIONS, ...options });
}

/** Resolves with the job's progress updates as they arrive, from QueueEvents (what the API sees). */
export function recordProgress(
  events: QueueEvents,
  jobId: string,
): { updates: Record<string, unknown>[]; stop(): void } {
  const updates: Record<string, unknown>[] = [];
  const listener = ({ jobId: id, data }: { jobId: string; data: unknown }) => {
    if (id === jobId) updates.push(data as Record<string, unknown>);
  };
  events.on('progress', listener);
  return { updates, stop: () => events.off('progress', listener) };
}

/** The job's state once it is completed or failed (and not about to be retried). */
export async function finalState(queue: Queue, jobId: string, timeoutMs = 60_000): Promise<Job> {
  let job: Job | undefined;
  await waitFor(
    `job ${jobId} to finish`,
    async () => {
      const state = await queue.getJobState(jobId);
      if (state !== 'completed' && state !== 'failed') return false;
      job = await queue.getJob(jobId);
      return true;
    },
    timeoutMs,
  );
  return job!;
}

/** A worker process, as a deployment runs it: `node dist/run.js` with configuration in its environment. */
export interface WorkerProcess {
  child: ChildProcess;
  /** What it wrote to stderr (its JSON log). */
  log(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * A spawner of worker processes with `baseEnv()` (read at each spawn, so it may name fixtures set up
 * in `beforeAll`) plus the given overrides. Registers an `afterEach` that SIGKILLs every one still
 * running: a test that failed half-way must not leave a worker behind to take the next test's job.
 */
export function workersKilledAfterEach(
  baseEnv: () => Record<string, string>,
): (env?: Record<string, string>) => WorkerProcess {
  const started: WorkerProcess[] = [];
  afterEach(async () => {
    for (const { child, exited } of started.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    }
  });
  return (env = {}) => {
    const worker = spawnWorker({ ...baseEnv(), ...env });
    started.push(worker);
    return worker;
  };
}

/**
 * A test file's fixtures with S3 behind a fault proxy: set up before its tests (`use` receives them),
 * the proxy's rules cleared after each test, both closed after the last. Returns a spawner of workers
 * that reach S3 through the proxy, killed after each test.
 */
export function setUpBehindFaultProxy(
  name: string,
  use: (fx: Fixtures, proxy: S3FaultProxy) => void,
): (env?: Record<string, string>) => WorkerProcess {
  let up: { fx: Fixtures; proxy: S3FaultProxy } | undefined;
  beforeAll(async () => {
    const fx = await setUp(name);
    up = { fx, proxy: await startS3FaultProxy(fx.s3.settings) };
    use(up.fx, up.proxy);
  });
  afterEach(() => up?.proxy.clear());
  afterAll(async () => {
    await up?.proxy.close();
    await up?.fx.close();
  });
  return workersKilledAfterEach(() => {
    if (!up) throw new Error('the fixtures are not set up yet');
    return { ...up.fx.env, S3_ENDPOINT: up.proxy.endpoint };
  });
}

export function spawnWorker(env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, [RUN_SCRIPT], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = once(child, 'exit').then(([code, signal]) => ({ code, signal }));
  return { child, log: () => stderr, exited };
}

/** Process ids whose parent is `pid` (the sandboxed children of a worker). */
export async function childrenOf(pid: number): Promise<number[]> {
  const children: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Field 4 is the parent pid; field 2 (the name) is in parentheses and may hold spaces.
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (parent === pid) children.push(Number(entry));
  }
  return children;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Loads a layers-model from S3 the way a client would, independently of readModel: model.json, then its shards. */
export function s3ModelHandler(store: S3Store, modelJsonKey: string): tf.io.IOHandler {
  const folder = modelJsonKey.slice(0, modelJsonKey.lastIndexOf('/') + 1);
  return {
    load: async () => {
      const modelJson = JSON.parse(
        new TextDecoder().decode(await store.get(modelJsonKey)),
      ) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const shards = await Promise.all(
          manifest.flatMap((group) => group.paths).map((p) => store.get(folder + p)),
        );
        const data = tf.io.concatenateArrayBuffers(shards.map((shard) => new Uint8Array(shard).buffer));
        return [manifest.flatMap((group) => group.weights), data];
      });
    },
  };
}

/**
 * What the store really holds for a job's reported files: each one whose size or SHA-256 differs from
 * the report (read straight from the server, not through any proxy), as `uri: problem`.
 */
export async function mismatchedFiles(store: S3Store, result: JobResult): Promise<string[]> {
  const problems: string[] = [];
  for (const file of result.files) {
    const key = file.uri.slice(`s3://${store.bucket}/`.length);
    const data = await store.get(key).catch(() => undefined);
    if (data === undefined) {
      problems.push(`${file.uri}: missing`);
      continue;
    }
    const sha256 = createHash('sha256').update(data).digest('hex');
    if (data.length !== file.bytes || sha256 !== file.sha256)
      problems.push(`${file.uri}: ${data.length} bytes, sha256 ${sha256}`);
  }
  return problems;
}

/** The weight paths that `folder/model.json` names, or `undefined` if there is none. */
export async function committedShards(store: S3Store, folder: string): Promise<string[] | undefined> {
  if ((await store.stat(`${folder}/model.json`)) === undefined) return undefined;
  const modelJson = JSON.parse(new TextDecoder().decode(await store.get(`${folder}/model.json`)));
  return modelJson.weightsManifest.flatMap((group: { paths: string[] }) => group.paths);
}
