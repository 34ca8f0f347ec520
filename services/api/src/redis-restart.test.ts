/**
 * Redis crashes and comes back while the API takes jobs: a Redis of this test's own (AOF,
 * `appendfsync always`), the API in this process, two worker processes running real jobs on local
 * files. Requests during the outage are refused fast with 503 and Retry-After; the API and the
 * workers reconnect by themselves; every job the API acknowledged with 202 ends in a final state.
 * Then the same for a Redis that stops answering without closing its connections.
 */
import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { setPriority, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RedisTestServer, startRedisServer } from '../../../packages/queue/src/testing/redis-server.js';
import { assertBuilt, spawnWorker, type WorkerProcess } from '../../worker/src/testing/fixtures.js';
import { type RunningApi, startApi } from './server.js';
import { client, testConfig, uniquePrefix, waitFor } from './testing/harness.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
/**
 * A read and a readiness probe every this many ms, and a POST every other time: a steady stream,
 * whatever the answers take.
 */
const REQUEST_EVERY_MS = 100;
/** How long Redis stays down: long enough for many requests to meet the outage. */
const OUTAGE_MS = 1_500;
/** How long Redis stays silent: longer, since each request then waits out the command timeout. */
const PAUSE_MS = 2_500;
const FINAL = new Set(['succeeded', 'failed', 'cancelled']);
/** Time for the two workers to run every accepted job (about 12, a second or two each on an idle machine). */
const JOBS_DONE_WITHIN_MS = 120_000;

interface Sample {
  kind: 'submit' | 'get' | 'ready';
  sentAt: number;
  latencyMs: number;
  status: number;
  retryAfter: string | null;
  contentType: string;
  // biome-ignore lint/suspicious/noExplicitAny: a response body, checked by the assertions.
  body: any;
}

let redis: RedisTestServer;
let root: string;
let api: RunningApi;
const workers: WorkerProcess[] = [];
/** Numbers each submitted job's output folder. */
let submitted = 0;

beforeAll(async () => {
  assertBuilt();
  redis = await startRedisServer({ appendfsync: 'always' });
  root = await mkdtemp(path.join(tmpdir(), 'ddinit-restart-'));
  await mkdir(path.join(root, 'model'));
  await copyFile(
    path.join(REPO, 'examples/models/vgg-cifar/model.json'),
    path.join(root, 'model/model.json'),
  );
  await mkdir(path.join(root, 'images'));
  const images = (await readdir(path.join(REPO, 'examples/images'))).sort().slice(0, 8);
  await Promise.all(
    images.map((name) => copyFile(path.join(REPO, 'examples/images', name), path.join(root, 'images', name))),
  );
  const prefix = uniquePrefix('restart');
  api = await startApi(testConfig(prefix, { redisUrl: redis.url, fileRoot: root }));
  for (let i = 0; i < 2; i++) {
    const worker = spawnWorker({
      REDIS_URL: redis.url,
      DDINIT_QUEUE_PREFIX: prefix,
      DDINIT_FILE_ROOT: root,
      DDINIT_BACKEND: 'wasm',
      DDINIT_LOCK_MS: '10000',
    });
    // The API shares this process's cores with the workers' number crunching (which their sandboxed
    // children inherit): what is timed here is the API, not the scheduler.
    setPriority(worker.child.pid!, 10);
    workers.push(worker);
  }
  await waitFor(
    'the workers to start',
    async () => workers.every((worker) => worker.log().includes('"worker started"')),
    30_000,
  );
}, 60_000);

afterAll(async () => {
  await Promise.all(
    workers.map(async ({ child, exited }) => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    }),
  );
  await api?.close();
  await redis?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

function spec(n: number) {
  return {
    model: { uri: `file://${root}/model/model.json` },
    dataset: { uri: `file://${root}/images/`, sample: 8, heldOut: 0 },
    init: { batchSize: 8 },
    output: { uri: `file://${root}/out/${n}/` },
  };
}

/** Requests sent at a steady pace while `fault` runs, each recorded with its answer and latency. */
async function underLoad(
  readId: string,
  fault: () => Promise<{ downAt: number; upAt: number }>,
): Promise<{ samples: Sample[]; downAt: number; upAt: number }> {
  const http = client(api.url);
  const samples: Sample[] = [];
  const inFlight = new Set<Promise<void>>();
  const measure = (kind: Sample['kind'], method: string, url: string, body?: unknown) => {
    const sentAt = Date.now();
    const record = (answer: Omit<Sample, 'kind' | 'sentAt' | 'latencyMs'>) =>
      void samples.push({ kind, sentAt, latencyMs: Date.now() - sentAt, ...answer });
    const request = http
      .request(method, url, { ...(body ? { body } : {}), ...(kind === 'ready' ? { key: null } : {}) })
      .then(
        (response) =>
          record({
            status: response.status,
            retryAfter: response.headers.get('retry-after'),
            contentType: response.headers.get('content-type') ?? '',
            body: response.body,
          }),
        // No answer at all (a reset connection): status 0, which fails the checks.
        (error: unknown) => record({ status: 0, retryAfter: null, contentType: '', body: String(error) }),
      )
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
  };

  let tick = 0;
  const load = setInterval(() => {
    // Half as many submissions as reads: every job accepted must then run on the two workers.
    if (tick++ % 2 === 0) measure('submit', 'POST', '/v1/jobs', spec(submitted++));
    measure('get', 'GET', `/v1/jobs/${readId}`);
    measure('ready', 'GET', '/health/ready');
  }, REQUEST_EVERY_MS);
  try {
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const { downAt, upAt } = await fault();
    // Recovered once submissions sent after the fault are accepted again; then a little more load.
    await waitFor(
      'a 202 after Redis is back',
      async () => samples.some((s) => s.kind === 'submit' && s.sentAt > upAt && s.status === 202),
      10_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    return { samples, downAt, upAt };
  } finally {
    clearInterval(load);
    await Promise.all(inFlight);
  }
}

/**
 * Every request answered, either served or refused with 503 problem+json and Retry-After; those sent
 * while Redis was away answered within 1 s, and refused if answered before it was back; served again
 * afterwards, without the API being restarted. Returns the figures worth reporting.
 */
function expectFailFastAndRecovery(samples: Sample[], downAt: number, upAt: number) {
  // Only the outage is timed: before and after it, latency is the shared machine's, not the API's.
  const sentDuringOutage = samples.filter((s) => s.sentAt >= downAt && s.sentAt < upAt);
  expect(sentDuringOutage.filter((s) => s.latencyMs >= 1_000)).toEqual([]);
  expect(samples.filter((s) => ![200, 202, 503].includes(s.status))).toEqual([]);
  for (const refused of samples.filter((s) => s.status === 503)) {
    expect(refused.retryAfter).toMatch(/^\d+$/);
    expect(refused.contentType).toMatch(/^application\/problem\+json/);
    expect(refused.body.code).toBe(refused.kind === 'ready' ? 'not_ready' : 'redis_unavailable');
  }
  // A moment after the fault (the API has to notice it), until Redis is back.
  const duringOutage = samples.filter((s) => s.sentAt > downAt + 100 && s.sentAt + s.latencyMs < upAt);
  for (const kind of ['submit', 'get', 'ready'] as const) {
    expect(duringOutage.filter((s) => s.kind === kind).length).toBeGreaterThanOrEqual(3);
  }
  expect(duringOutage.filter((s) => s.status !== 503)).toEqual([]);
  const lastOf = (kind: Sample['kind']) => samples.filter((s) => s.kind === kind).at(-1)!;
  expect([lastOf('ready').status, lastOf('get').status, lastOf('submit').status]).toEqual([200, 200, 202]);

  const submits = samples.filter((s) => s.kind === 'submit');
  const firstBack = Math.min(
    ...submits.filter((s) => s.sentAt > upAt && s.status === 202).map((s) => s.sentAt),
  );
  const outage = duringOutage.map((s) => s.latencyMs).sort((a, b) => a - b);
  return {
    submitted: submits.length,
    accepted: submits.filter((s) => s.status === 202).length,
    refused: submits.filter((s) => s.status === 503).length,
    outageLatencyMs: { p50: outage[Math.floor(outage.length / 2)], max: outage.at(-1) },
    recoveryMs: firstBack - upAt,
  };
}

/** Waits for each job to end; every one must have succeeded. */
async function expectAllSucceeded(ids: readonly string[]): Promise<void> {
  const http = client(api.url);
  const statuses = new Map<string, string>();
  const deadline = Date.now() + JOBS_DONE_WITHIN_MS;
  for (;;) {
    for (const id of ids) {
      if (FINAL.has(statuses.get(id) ?? '')) continue;
      const view = await http.request('GET', `/v1/jobs/${id}`);
      expect(view.status).toBe(200);
      statuses.set(id, view.body.status);
    }
    if (ids.every((id) => FINAL.has(statuses.get(id) ?? '')) || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  // Succeeded, all of them: a job that left the queue unrecorded would show as failed (job_lost).
  const workerLines = workers.flatMap((worker, i) =>
    worker
      .log()
      .split('\n')
      .map((line) => `${i}: ${line}`),
  );
  const unfinished = [...statuses]
    .filter(([, status]) => status !== 'succeeded')
    .map(([id, status]) => ({ id, status, log: workerLines.filter((line) => line.includes(id)) }));
  expect(unfinished).toEqual([]);
  // And each ran once: the outage is far shorter than the lock, so no job was taken for stalled.
  const starts = ids.map((id) =>
    workerLines.filter((line) => line.includes('"job started"') && line.includes(id)),
  );
  expect(starts.filter((lines) => lines.length !== 1)).toEqual([]);
}

const acceptedIds = (samples: Sample[], after = 0) =>
  samples
    .filter((s) => s.kind === 'submit' && s.status === 202 && s.sentAt > after)
    .map((s) => s.body.id as string);

test('a Redis restart under load: 503 within 1 s while it is down, recovery by itself, no acknowledged job lost', async () => {
  const first = await client(api.url).request('POST', '/v1/jobs', { body: spec(submitted++) });
  expect(first.status).toBe(202);
  const { samples, downAt, upAt } = await underLoad(first.body.id, async () => {
    const downAt = Date.now();
    await redis.kill();
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    await redis.start();
    return { downAt, upAt: Date.now() };
  });
  console.info(`Redis restart: ${JSON.stringify(expectFailFastAndRecovery(samples, downAt, upAt))}`);

  // No acknowledged job lost: each 202 ends succeeded.
  await expectAllSucceeded([first.body.id, ...acceptedIds(samples)]);
  // Both workers reconnected by themselves: each completed a job submitted after the restart.
  const afterRestart = new Set(acceptedIds(samples, upAt));
  for (const worker of workers) {
    const completed = worker
      .log()
      .split('\n')
      .filter((line) => line.includes('"job completed"'))
      .map((line) => JSON.parse(line).jobId as string);
    expect(completed.filter((id) => afterRestart.has(id)).length).toBeGreaterThan(0);
  }
}, 180_000);

test('a Redis that stops answering (connections open, no replies): 503 within 1 s, then served again', async () => {
  const first = await client(api.url).request('POST', '/v1/jobs', { body: spec(submitted++) });
  expect(first.status).toBe(202);
  const { samples, downAt, upAt } = await underLoad(first.body.id, async () => {
    const downAt = Date.now();
    redis.pause();
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
    redis.resume();
    return { downAt, upAt: Date.now() };
  });
  console.info(`Redis unresponsive: ${JSON.stringify(expectFailFastAndRecovery(samples, downAt, upAt))}`);
  await expectAllSucceeded([first.body.id, ...acceptedIds(samples)]);
}, 180_000);
