/**
 * Test harness: a real API on a loopback port over the local Redis, under a BullMQ prefix of its own
 * that is deleted afterwards, and a fetch-based client. Not part of the build.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InitOptions, type JobResult, type JobSpecInput } from '@ddinit/contracts';
import { deletePrefix, INIT_QUEUE, type InitJobData, redisConnection } from '@ddinit/queue';
import { type Processor, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { AppDeps } from '../app.js';
import { type ApiConfig, hashApiKey } from '../config.js';
import { type RunningApi, startApi } from '../server.js';

export { waitFor } from '../../../../packages/queue/src/testing/wait-for.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Two tenants, so every test can check isolation. */
export const KEYS = {
  alpha: 'sk_test_alpha_0123456789abcdef',
  beta: 'sk_test_beta_0123456789abcdef',
} as const;

export const WEBHOOK_SECRET = `whsec_${Buffer.from('a webhook secret of 32 bytes!!!').toString('base64')}`;

export function uniquePrefix(name: string): string {
  return `ddtest-${name}-${randomBytes(4).toString('hex')}`;
}

export function testConfig(prefix: string, overrides: Partial<ApiConfig> = {}): ApiConfig {
  return {
    port: 0,
    host: '127.0.0.1',
    redisUrl: REDIS_URL,
    queuePrefix: prefix,
    apiKeys: [
      { keyHash: hashApiKey(KEYS.alpha), tenant: 'alpha' },
      { keyHash: hashApiKey(KEYS.beta), tenant: 'beta' },
    ],
    allowedBuckets: ['models', 'outputs'],
    downloadExpiresSeconds: 600,
    background: true,
    jobRecordTtlSeconds: 3600,
    logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
    webhookSecret: WEBHOOK_SECRET,
    // The webhook tests deliver to a receiver on loopback over http.
    webhookAllowPrivate: true,
    ...overrides,
  };
}

// biome-ignore lint/suspicious/noExplicitAny: tests read response bodies ad hoc; their assertions check the shape.
export interface HttpResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface Client {
  // biome-ignore lint/suspicious/noExplicitAny: as above.
  request<T = any>(
    method: string,
    path: string,
    options?: { key?: string | null; body?: unknown; headers?: Record<string, string> },
  ): Promise<HttpResult<T>>;
}

export function client(baseUrl: string, defaultKey: string = KEYS.alpha): Client {
  return {
    async request(method, path, options = {}) {
      const key = options.key === undefined ? defaultKey : options.key;
      const headers: Record<string, string> = { ...options.headers };
      if (key !== null) headers.authorization = `Bearer ${key}`;
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers,
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      });
      const text = await response.text();
      const type = response.headers.get('content-type') ?? '';
      return {
        status: response.status,
        headers: response.headers,
        body: type.includes('json') ? JSON.parse(text) : text,
      };
    },
  };
}

export interface TestApi extends RunningApi, Client {
  prefix: string;
  config: ApiConfig;
  /** A queue handle on the same prefix, to look at BullMQ directly. */
  queue: Queue<InitJobData>;
  queueConnection: Redis;
}

export async function startTestApi(
  name: string,
  overrides: Partial<ApiConfig> = {},
  deps: AppDeps = {},
): Promise<TestApi> {
  const prefix = overrides.queuePrefix ?? uniquePrefix(name);
  const config = testConfig(prefix, overrides);
  const api = await startApi(config, deps);
  const queueConnection = redisConnection(REDIS_URL, 'producer');
  // skipMetasUpdate: this handle only looks, and must not write keys after the cleanup.
  const queue = new Queue<InitJobData>(INIT_QUEUE, {
    connection: queueConnection,
    prefix,
    skipMetasUpdate: true,
  });
  queue.on('error', () => undefined);
  return { ...api, ...client(api.url), prefix, config, queue, queueConnection };
}

/** Closes the app, then the harness's own queue handle, and deletes every key under the prefix. */
export async function stopTestApi(api: TestApi | undefined): Promise<void> {
  if (!api) return;
  await api.close();
  await releaseHarness(api);
}

/** What stopTestApi does after closing the app, for tests that close the app themselves. */
export async function releaseHarness(api: TestApi): Promise<void> {
  await api.queue.close();
  api.queueConnection.disconnect();
  await deleteKeys(api.prefix);
}

export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    await deletePrefix(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

export function validSpec(overrides: Partial<JobSpecInput> = {}): JobSpecInput {
  return {
    model: { uri: 's3://models/vgg/model.json' },
    dataset: { uri: 's3://models/images/', sample: 16, heldOut: 0 },
    output: { uri: 's3://outputs/run-1/' },
    ...overrides,
  };
}

/** A schema-valid result, as a worker would return it. */
export function fakeResult(outputUri: string, files: { key: string; bytes: number }[] = []): JobResult {
  return {
    checkpoint: `${outputUri}model.json`,
    files: files.map((file) => ({
      uri: `${outputUri}${file.key}`,
      bytes: file.bytes,
      sha256: '0'.repeat(64),
    })),
    report: {
      ddinitVersion: '0.1.0',
      seed: 0,
      options: InitOptions.parse({}),
      backend: { name: 'cpu', threads: 1 },
      images: { init: 16, heldOut: 0 },
      passes: { forward: 1, backward: 1 },
      timingsMs: { load: 1 },
      layers: [],
      warnings: [],
    },
  };
}

/**
 * TEST DOUBLE of services/worker: an in-process BullMQ Worker on the init queue. It stands in for the
 * real worker only where a test needs jobs to run and finish (status mapping, webhooks, downloads);
 * it follows the worker's contract: progress objects, a JobResult return value, failures as
 * `UnrecoverableError("<code>: <message>")`.
 */
export interface FakeWorker {
  worker: Worker<InitJobData, JobResult>;
  close(): Promise<void>;
}

export function startFakeWorker(prefix: string, processor: Processor<InitJobData, JobResult>): FakeWorker {
  const connection = redisConnection(REDIS_URL, 'worker');
  const worker = new Worker<InitJobData, JobResult>(INIT_QUEUE, processor, {
    connection,
    prefix,
    concurrency: 4,
  });
  worker.on('error', () => undefined);
  return {
    worker,
    async close() {
      await worker.close(true);
      connection.disconnect();
    },
  };
}

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** Answers 500 to this many requests before accepting. */
  failFirst: number;
  close(): Promise<void>;
}

/** A webhook receiver on loopback (the test config allows private callback targets). */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const state = { received: [] as ReceivedWebhook[], failFirst: 0 };
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      state.received.push({ headers: request.headers, body });
      if (state.failFirst > 0) {
        state.failFirst -= 1;
        response.writeHead(500).end();
      } else {
        response.writeHead(204).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/hooks`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
