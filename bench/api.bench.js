// Throughput and latency of the API's two hottest routes, on loopback against the local Redis.
//
//   npx tsc -b services/api && node bench/api.bench.js
//   BENCH_DURATION=20 BENCH_CONNECTIONS=100 node bench/api.bench.js
//
// Starts the API in this process (background work off, so only HTTP is measured) under a BullMQ
// prefix of its own, then runs autocannon:
//   1. POST /v1/jobs: validation, the job record (one Lua call) and the BullMQ add;
//   2. GET /v1/jobs/:id of one queued job: the record plus two BullMQ reads.
// Prints requests per second and latency percentiles, then deletes every key it made. Not run by the
// tests: the numbers depend on the machine and on what else Redis is doing.
//
// Environment:
//   REDIS_URL          default redis://127.0.0.1:6379
//   BENCH_DURATION     seconds per route (default 10)
//   BENCH_CONNECTIONS  concurrent connections (default 50)
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { hashApiKey, startApi } from '../services/api/dist/index.js';

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

const api = await startApi({
  port: 0,
  host: '127.0.0.1',
  redisUrl,
  queuePrefix: prefix,
  apiKeys: [{ keyHash: hashApiKey(key), tenant: 'bench' }],
  allowedBuckets: ['models', 'outputs'],
  downloadExpiresSeconds: 900,
  background: false,
  jobRecordTtlSeconds: 3600,
  logLevel: 'warn',
});

const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };

function run(title, path, options) {
  return new Promise((resolve, reject) => {
    // autocannon takes the path as part of the URL.
    autocannon({ url: `${api.url}${path}`, connections, duration, headers, ...options }, (error, result) =>
      error ? reject(error) : resolve({ title, result }),
    );
  });
}

try {
  const created = await fetch(`${api.url}/v1/jobs`, { method: 'POST', headers, body: JSON.stringify(spec) });
  const { id } = await created.json();
  const runs = [
    await run('POST /v1/jobs', '/v1/jobs', { method: 'POST', body: JSON.stringify(spec) }),
    await run('GET /v1/jobs/:id', `/v1/jobs/${id}`, { method: 'GET' }),
  ];
  console.log(`\n${connections} connections, ${duration} s per route, Node ${process.version}\n`);
  console.log('| route | req/s (mean) | p50 ms | p90 ms | p99 ms | max ms | 2xx | non-2xx | errors |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const { title, result } of runs) {
    const { requests, latency } = result;
    console.log(
      `| ${title} | ${requests.average.toFixed(0)} | ${latency.p50} | ${latency.p90} | ${latency.p99} | ${latency.max} | ${result['2xx']} | ${result.non2xx} | ${result.errors} |`,
    );
  }
} finally {
  await api.close();
  const redis = new Redis(redisUrl);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
  redis.disconnect();
}
