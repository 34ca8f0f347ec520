// Throughput and latency of the API's two hottest routes, on loopback against the local Redis.
//
//   npm run bench:api
//   BENCH_DURATION=20 BENCH_CONNECTIONS=100 npm run bench:api
//
// Starts `ddinit api` as its own process (background work off, so only HTTP is measured; rate
// limits off, so the ceiling is measured rather than the limit) under a BullMQ prefix of its own,
// then runs autocannon from this process, at each connection count:
//   1. POST /v1/jobs: validation, the job record (one Lua call), the BullMQ add, the enqueue mark;
//   2. GET /v1/jobs/:id of one queued job: the record and two BullMQ reads, at once.
// Each route is first loaded for BENCH_WARMUP seconds, unmeasured: a process that has just started
// runs its first seconds unoptimized by the JIT. Prints requests per second, latency percentiles, the
// CPU time per request of the API process, of Redis and of the load generator (steadier than
// throughput on a busy machine) and how busy the machine's cores were, then deletes every key it made.
// Not run by the tests: the numbers depend on the machine and on what else it is doing.
//
// Environment:
//   REDIS_URL          default redis://127.0.0.1:6379
//   BENCH_DURATION     seconds per measured run (default 10)
//   BENCH_WARMUP       seconds of unmeasured load before each (default 3)
//   BENCH_CONNECTIONS  concurrent connections, a comma-separated list (default 10,50)
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { deletePrefix, startRole } from './service.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const duration = Number(process.env.BENCH_DURATION ?? 10);
const warmup = Number(process.env.BENCH_WARMUP ?? 3);
const connectionCounts = (process.env.BENCH_CONNECTIONS ?? '10,50').split(',').map(Number);
const prefix = `ddbench-${randomBytes(4).toString('hex')}`;
const key = 'sk_bench_0123456789abcdef';

const spec = {
  model: { uri: 's3://models/vgg/model.json' },
  dataset: { uri: 's3://models/images/', sample: 256 },
  output: { uri: 's3://outputs/bench/' },
  labels: { bench: 'api' },
};

const api = await startRole(
  'api',
  {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    REDIS_URL: redisUrl,
    DDINIT_QUEUE_PREFIX: prefix,
    DDINIT_API_KEYS: `${key}:bench`,
    DDINIT_ALLOWED_BUCKETS: 'models,outputs',
    DDINIT_BACKGROUND: 'false',
    DDINIT_RATE_LIMIT: 'off',
    LOG_LEVEL: 'warn',
  },
  /API listening on (\S+)/,
);
const base = api.match[1];
const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
const redis = new Redis(redisUrl);

/** CPU microseconds used so far by the API process, by Redis and by this process (autocannon). */
async function cpuMicros() {
  // utime and stime, in clock ticks (100 per second on Linux), are fields 14 and 15 of /proc/pid/stat.
  const stat = (await readFile(`/proc/${api.pid}/stat`, 'utf8')).split(') ')[1].split(' ');
  const info = await redis.info('cpu');
  const redisSeconds = [...info.matchAll(/used_cpu_(?:user|sys):([\d.]+)/g)].reduce(
    (s, m) => s + Number(m[1]),
    0,
  );
  const own = process.cpuUsage();
  return {
    api: (Number(stat[11]) + Number(stat[12])) * 10_000,
    redis: redisSeconds * 1e6,
    generator: own.user + own.system,
  };
}

/** Busy and total clock ticks of all cores so far, from the first line of /proc/stat. */
async function machineTicks() {
  const [, ...fields] = (await readFile('/proc/stat', 'utf8')).split('\n')[0].trim().split(/\s+/);
  const ticks = fields.map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  return { busy: total - ticks[3] - ticks[4], total }; // idle and iowait
}

async function run(title, path, connections, options) {
  const load = { url: `${base}${path}`, connections, headers, ...options };
  await autocannon({ ...load, duration: warmup });
  const [before, ticksBefore] = [await cpuMicros(), await machineTicks()];
  const result = await autocannon({ ...load, duration });
  const [after, ticksAfter] = [await cpuMicros(), await machineTicks()];
  const requests = result.requests.total;
  const perRequest = (part) => (after[part] - before[part]) / requests;
  return {
    title,
    connections,
    result,
    api: perRequest('api'),
    redis: perRequest('redis'),
    generator: perRequest('generator'),
    busy: (ticksAfter.busy - ticksBefore.busy) / (ticksAfter.total - ticksBefore.total),
  };
}

try {
  const created = await fetch(`${base}/v1/jobs`, { method: 'POST', headers, body: JSON.stringify(spec) });
  const { id } = await created.json();
  const runs = [];
  for (const connections of connectionCounts) {
    runs.push(
      await run('POST /v1/jobs', '/v1/jobs', connections, { method: 'POST', body: JSON.stringify(spec) }),
    );
    runs.push(await run('GET /v1/jobs/:id', `/v1/jobs/${id}`, connections, { method: 'GET' }));
  }
  console.log(`\n${duration} s per run after ${warmup} s of warm-up, Node ${process.version}\n`);
  console.log(
    '| route | connections | req/s (mean) | p50 ms | p90 ms | p99 ms | max ms | 2xx | non-2xx | errors | API CPU µs/req | Redis CPU µs/req | autocannon CPU µs/req | cores busy |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const { title, connections, result, ...cpu } of runs) {
    const { requests, latency } = result;
    console.log(
      `| ${title} | ${connections} | ${requests.average.toFixed(0)} | ${latency.p50} | ${latency.p90} | ${latency.p99} | ${latency.max} | ${result['2xx']} | ${result.non2xx} | ${result.errors} | ${cpu.api.toFixed(0)} | ${cpu.redis.toFixed(0)} | ${cpu.generator.toFixed(0)} | ${(100 * cpu.busy).toFixed(0)} % |`,
    );
  }
} finally {
  redis.disconnect();
  await api.stop();
  await deletePrefix(redisUrl, prefix);
}
