// Queue pickup: how long a job waits between being enqueued and a worker starting it.
//
//   npm run bench:pickup
//   BENCH_JOBS=50 npm run bench:pickup
//
// Runs the deployed shape on loopback: `ddinit api` and `ddinit worker` as two processes on the local
// Redis (a queue prefix of its own), local files for the model and images. Submits jobs one at a time
// through POST /v1/jobs, each after the previous one finished, so the worker is idle and waiting as it
// is in a quiet deployment. Times come from the queue's own event stream (Redis stamps each entry), so
// no two clocks are compared:
//   pickup          "waiting" (enqueued) → "active" (a worker took the job)
//   processor start "waiting" → first progress from the sandboxed processor (it is running the job)
// Deletes every key it made.
//
// Environment: REDIS_URL (default redis://127.0.0.1:6379), BENCH_JOBS (default 30).
import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { QueueEvents } from 'bullmq';
import { INIT_QUEUE } from '../packages/queue/dist/index.js';
import { deletePrefix, startRole } from './service.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const jobs = Number(process.env.BENCH_JOBS ?? 30);
const prefix = `ddbench-${randomBytes(4).toString('hex')}`;
const key = 'sk_bench_0123456789abcdef';

const root = await mkdtemp(path.join(tmpdir(), 'ddinit-pickup-'));
await cp(path.join(REPO, 'examples/models/vgg-cifar'), path.join(root, 'model'), { recursive: true });
await mkdir(path.join(root, 'images'));
for (const file of (await readdir(path.join(REPO, 'examples/images'))).sort().slice(0, 16)) {
  await cp(path.join(REPO, 'examples/images', file), path.join(root, 'images', file));
}

const env = {
  ...process.env,
  REDIS_URL: redisUrl,
  DDINIT_QUEUE_PREFIX: prefix,
  DDINIT_API_KEYS: `${key}:bench`,
  DDINIT_FILE_ROOT: root,
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
};

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
/** A stream entry id is `<ms>-<seq>`, stamped by Redis. */
const streamMs = (id) => Number(id.split('-')[0]);

const api = await startRole('api', env, /API listening on (\S+)/);
const worker = await startRole('worker', env, /worker started/);
const events = new QueueEvents(INIT_QUEUE, { connection: { url: redisUrl }, prefix });
await events.waitUntilReady();

const seen = new Map();
const mark = (jobId, name, id) => {
  const entry = seen.get(jobId) ?? {};
  entry[name] ??= streamMs(id);
  seen.set(jobId, entry);
};
events.on('waiting', ({ jobId }, id) => mark(jobId, 'waiting', id));
events.on('active', ({ jobId }, id) => mark(jobId, 'active', id));
events.on('progress', ({ jobId }, id) => mark(jobId, 'progress', id));

const base = api.match[1];
const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
const spec = {
  model: { uri: `file://${root}/model/model.json` },
  dataset: { uri: `file://${root}/images`, sample: 8, heldOut: 0 },
  init: { iterations: 1 },
};
try {
  for (let i = 0; i < jobs; i += 1) {
    const body = JSON.stringify({ ...spec, output: { uri: `file://${root}/out/${i}` } });
    const created = await fetch(`${base}/v1/jobs`, { method: 'POST', headers, body });
    if (created.status !== 202) throw new Error(`POST /v1/jobs: ${created.status} ${await created.text()}`);
    const { id } = await created.json();
    for (;;) {
      const view = await (await fetch(`${base}/v1/jobs/${id}`, { headers })).json();
      if (['succeeded', 'failed', 'cancelled'].includes(view.status)) {
        if (view.status !== 'succeeded')
          throw new Error(`job ${id} ended ${view.status}: ${view.error?.message}`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  // The first job also pays for forking the processor; report it apart.
  const timings = [...seen.values()].filter((t) => t.waiting && t.active && t.progress);
  const [first, ...rest] = timings;
  const pickup = rest.map((t) => t.active - t.waiting);
  const processorStart = rest.map((t) => t.progress - t.waiting);
  console.log(`\n${timings.length} jobs, one at a time, Node ${process.version}\n`);
  console.log('| from enqueue to | p50 ms | p90 ms | max ms | first job ms |');
  console.log('|---|---:|---:|---:|---:|');
  console.log(
    `| worker takes the job (active) | ${percentile(pickup, 50)} | ${percentile(pickup, 90)} | ${Math.max(...pickup)} | ${first.active - first.waiting} |`,
  );
  console.log(
    `| processor reports progress | ${percentile(processorStart, 50)} | ${percentile(processorStart, 90)} | ${Math.max(...processorStart)} | ${first.progress - first.waiting} |`,
  );
} finally {
  await events.close();
  await Promise.all([api.stop(), worker.stop()]);
  await deletePrefix(redisUrl, prefix);
  await rm(root, { recursive: true, force: true });
}
