// Throughput and latency of the API's two hottest routes, on loopback against the local Redis.
//
//   npm run bench:api
//   BENCH_DURATION=20 BENCH_CONNECTIONS=100 npm run bench:api
//
// Starts `ddinit api` as its own process (background work off, so only HTTP is measured; rate
// limits off, so the ceiling is measured rather than the limit) under a BullMQ prefix of its own,
// then runs autocannon from this process:
//   1. POST /v1/jobs: validation, the job record (one Lua call) and the BullMQ add;
//   2. GET /v1/jobs/:id of one queued job: the record plus two BullMQ reads.
// Prints requests per second, latency percentiles, and the CPU time per request of the API process
// and of Redis (steadier than throughput on a busy machine), then deletes every key it made. Not run
// by the tests: the numbers depend on the machine and on what else it is doing.
//
// Environment:
//   REDIS_URL          default redis://127.0.0.1:6379
//   BENCH_DURATION     seconds per route (default 10)
//   BENCH_CONNECTIONS  concurrent connections (default 50)
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { deletePrefix, startRole } from './service.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const duration = Number(process.env.BENCH_DURATION ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
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

/** CPU microseconds used so far by the API process and by Redis. */
async function cpuMicros() {
  // utime and stime, in clock ticks (100 per second on Linux), are fields 14 and 15 of /proc/pid/stat.
  const stat = (await readFile(`/proc/${api.pid}/stat`, 'utf8')).split(') ')[1].split(' ');
  const info = await redis.info('cpu');
  const redisSeconds = [...info.matchAll(/used_cpu_(?:user|sys):([\d.]+)/g)].reduce(
    (s, m) => s + Number(m[1]),
    0,
  );
  return { api: (Number(stat[11]) + Number(stat[12])) * 10_000, redis: redisSeconds * 1e6 };
}

async function run(title, path, options) {
  const before = await cpuMicros();
  const result = await autocannon({ url: `${base}${path}`, connections, duration, headers, ...options });
  const after = await cpuMicros();
  const requests = result.requests.total;
  return {
    title,
    result,
    apiMicros: (after.api - before.api) / requests,
    redisMicros: (after.redis - before.redis) / requests,
  };
}

try {
  const created = await fetch(`${base}/v1/jobs`, { method: 'POST', headers, body: JSON.stringify(spec) });
  const { id } = await created.json();
  const runs = [
    await run('POST /v1/jobs', '/v1/jobs', { method: 'POST', body: JSON.stringify(spec) }),
    await run('GET /v1/jobs/:id', `/v1/jobs/${id}`, { method: 'GET' }),
  ];
  console.log(`\n${connections} connections, ${duration} s per route, Node ${process.version}\n`);
  console.log(
    '| route | req/s (mean) | p50 ms | p90 ms | p99 ms | max ms | 2xx | non-2xx | errors | API CPU µs/req | Redis CPU µs/req |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const { title, result, apiMicros, redisMicros } of runs) {
    const { requests, latency } = result;
    console.log(
      `| ${title} | ${requests.average.toFixed(0)} | ${latency.p50} | ${latency.p90} | ${latency.p99} | ${latency.max} | ${result['2xx']} | ${result.non2xx} | ${result.errors} | ${apiMicros.toFixed(0)} | ${redisMicros.toFixed(0)} |`,
    );
  }
} finally {
  redis.disconnect();
  await api.stop();
  await deletePrefix(redisUrl, prefix);
}
