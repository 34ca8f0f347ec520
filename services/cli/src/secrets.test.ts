/**
 * Secrets stay out of everything the service writes. `ddinit serve` (API and worker, built) runs with
 * a distinctive API key, AWS secret key and webhook secret, at log level debug; one job succeeds, one
 * fails on a bad model, one fails on S3 (the S3 server refuses the signature made with that secret),
 * and requests with bad keys and bad bodies are refused. Then every log line, every Redis key and
 * value under the test's prefix, every response body, every webhook delivery and every file the jobs
 * wrote is searched for each secret, for the key's hash, and for the webhook secret's key bytes.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { deletePrefix, keysUnder } from '@ddinit/queue';
import { Redis } from 'ioredis';
import { type S3TestServer, startS3Server } from '../../../packages/storage/src/testing/s3-server.js';
import { copyImages, MODEL, type Serving, startServe, type TempDir, tempDir } from './testing/cli.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const API_KEY = 'sk_live_SeCrEtApIkEy_7f3a9c1e5b';
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/SeCrEtAwSkEy9d2f';
const WEBHOOK_KEY_BYTES = Buffer.from('webhook signing key: SeCrEt 0042!');
const WEBHOOK_SECRET = `whsec_${WEBHOOK_KEY_BYTES.toString('base64')}`;
const BUCKET = 'secrets-bucket';

/** Every form in which a secret would give itself away. */
const NEEDLES: Record<string, string> = {
  'API key': API_KEY,
  "API key's SHA-256": createHash('sha256').update(API_KEY).digest('hex'),
  'AWS secret key': AWS_SECRET,
  'webhook secret': WEBHOOK_SECRET,
  "webhook secret's base64": WEBHOOK_KEY_BYTES.toString('base64'),
  "webhook secret's key bytes": WEBHOOK_KEY_BYTES.toString(),
};

const prefix = `ddinit-secrets-${process.pid}-${Date.now()}`;
let tmp: TempDir;
let s3: S3TestServer;
let receiver: Server;
const deliveries: string[] = [];
let server: Serving;
let baseUrl: string;
/** Everything the API answered, as text. */
const answers: string[] = [];

/** A job view or problem as the API sent it; the test reads only `id` and `status`. */
interface Answered {
  id: string;
  status: string;
}

async function call(
  method: string,
  url: string,
  body?: unknown,
  key: string | null = API_KEY,
): Promise<Answered> {
  const response = await fetch(`${baseUrl}${url}`, {
    method,
    headers: {
      ...(key !== null ? { authorization: `Bearer ${key}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  answers.push(`${method} ${url} ${response.status} ${JSON.stringify([...response.headers])} ${text}`);
  return (text.startsWith('{') ? JSON.parse(text) : {}) as Answered;
}

beforeAll(async () => {
  tmp = await tempDir();
  await mkdir(path.join(tmp.root, 'model'));
  await copyFile(MODEL, path.join(tmp.root, 'model/model.json'));
  await mkdir(path.join(tmp.root, 'broken'));
  await writeFile(path.join(tmp.root, 'broken/model.json'), '{"modelTopology": 42}');
  await copyImages(path.join(tmp.root, 'images'), 16);
  s3 = await startS3Server([BUCKET]);
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      deliveries.push(`${JSON.stringify(request.headers)} ${body}`);
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));

  server = await startServe({
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    REDIS_URL,
    DDINIT_QUEUE_PREFIX: prefix,
    DDINIT_API_KEYS: `${API_KEY}:tenant-s`,
    DDINIT_FILE_ROOT: tmp.root,
    DDINIT_ALLOWED_BUCKETS: BUCKET,
    S3_ENDPOINT: s3.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_ACCESS_KEY_ID: 'AKIASECRETSTEST00001',
    AWS_SECRET_ACCESS_KEY: AWS_SECRET,
    DDINIT_WEBHOOK_SECRET: WEBHOOK_SECRET,
    DDINIT_WEBHOOK_ALLOW_PRIVATE: 'true',
    DDINIT_BACKEND: 'wasm',
    DDINIT_DEBUG: '1',
    LOG_LEVEL: 'debug',
  });
  baseUrl = server.url;
}, 60_000);

afterAll(async () => {
  await server?.stop('SIGKILL');
  await deleteKeys();
  await new Promise((resolve) => receiver?.close(resolve));
  await s3?.close();
  await tmp?.cleanup();
});

async function deleteKeys(): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    await deletePrefix(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

/** Every key under the prefix with its whole value, whatever its type. */
async function redisDump(): Promise<string> {
  const redis = new Redis(REDIS_URL);
  try {
    const parts: string[] = [];
    for (const key of await keysUnder(redis, prefix)) {
      const type = await redis.type(key);
      let value: unknown;
      if (type === 'string') value = await redis.get(key);
      else if (type === 'hash') value = await redis.hgetall(key);
      else if (type === 'list') value = await redis.lrange(key, 0, -1);
      else if (type === 'set') value = await redis.smembers(key);
      else if (type === 'zset') value = await redis.zrange(key, '0', '-1', 'WITHSCORES');
      else if (type === 'stream') value = await redis.xrange(key, '-', '+');
      parts.push(`${key} ${type} ${JSON.stringify(value)}`);
    }
    return parts.join('\n');
  } finally {
    redis.disconnect();
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return Promise.all(
    entries
      .filter((entry) => entry.isFile())
      .map((entry) => readFile(path.join(entry.parentPath, entry.name), 'latin1')),
  );
}

async function finished(id: string): Promise<Answered> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const view = await call('GET', `/v1/jobs/${id}`);
    if (['succeeded', 'failed', 'cancelled'].includes(view.status)) return view;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`job ${id} did not finish`);
}

test('no secret appears in logs, Redis, responses, webhooks or written files', async () => {
  const callback = { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook` };
  const local = (model: string, out: string) => ({
    model: { uri: `file://${tmp.root}/${model}/model.json` },
    dataset: { uri: `file://${tmp.root}/images`, sample: 8, heldOut: 4 },
    init: { batchSize: 4 },
    output: { uri: `file://${tmp.root}/${out}/` },
    callback,
  });
  const ok = await call('POST', '/v1/jobs', local('model', 'out-ok'));
  const broken = await call('POST', '/v1/jobs', local('broken', 'out-broken'));
  const onS3 = await call('POST', '/v1/jobs', {
    ...local('model', 'out-s3'),
    model: { uri: `s3://${BUCKET}/models/model.json` },
  });
  // Refusals of every kind, including the key offered under the wrong scheme.
  await call('GET', '/v1/jobs', undefined, `${API_KEY}x`);
  await call('GET', '/v1/jobs', undefined, null);
  await call('POST', '/v1/jobs', '{"model":', API_KEY);
  await call('POST', '/v1/jobs', { ...local('model', 'x'), model: { uri: 's3://not-allowed/m.json' } });
  await call('GET', '/v1/jobs/nope');

  const views = [await finished(ok.id), await finished(broken.id), await finished(onS3.id)];
  expect(views.map((view) => view.status)).toEqual(['succeeded', 'failed', 'failed']);
  for (const view of views) {
    for (const route of ['', '/logs', '/report', '/report.html', '/download']) {
      await call('GET', `/v1/jobs/${view.id}${route}`);
    }
  }
  await call('GET', '/v1/jobs?limit=100');
  const deadline = Date.now() + 30_000;
  while (deliveries.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(deliveries).toHaveLength(3);

  // Stop the service first, so its shutdown lines are searched too.
  await server.stop();

  const corpus: Record<string, string> = {
    logs: server.output(),
    redis: await redisDump(),
    responses: answers.join('\n'),
    webhooks: deliveries.join('\n'),
    files: (await filesUnder(tmp.root)).join('\n'),
  };
  // The searches looked at something: logs at debug level, job records, both failures, every report.
  expect(corpus.logs).toMatch(/"level":20|DEBUG|debug/i);
  expect(corpus.redis).toContain(broken.id);
  expect(corpus.responses).toContain('"code":"unauthorized"');
  expect(corpus.files).toContain('"layers"');
  for (const [where, text] of Object.entries(corpus)) {
    for (const [what, needle] of Object.entries(NEEDLES)) {
      expect({ where, what, found: text.includes(needle) }).toEqual({ where, what, found: false });
    }
  }
}, 120_000);
