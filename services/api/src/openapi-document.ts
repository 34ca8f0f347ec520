import { Redis } from 'ioredis';
import { buildApp } from './app.js';
import type { ApiConfig } from './config.js';
import { closeRedis } from './settle.js';

/** A configuration that affects no route or schema: the document is the same in every deployment. */
const DOCUMENT_CONFIG: ApiConfig = {
  port: 0,
  host: '127.0.0.1',
  redisUrl: 'redis://127.0.0.1:6379',
  queuePrefix: 'openapi',
  apiKeys: [],
  allowedBuckets: [],
  downloadExpiresSeconds: 900,
  background: false,
  jobRecordTtlSeconds: 3600,
  logLevel: 'silent',
};

/**
 * The OpenAPI document as formatted JSON. Needs no Redis and writes to none: BullMQ connects the
 * connection it is given as soon as a queue is built, so the app gets one to a socket that cannot
 * exist, which fails at once and is not retried.
 */
export async function generateOpenApi(): Promise<string> {
  const redis = new Redis({
    path: '/nonexistent/ddinit-openapi.sock',
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  const app = await buildApp(DOCUMENT_CONFIG, { redis });
  try {
    await app.ready();
    return `${JSON.stringify(app.swagger(), null, 2)}\n`;
  } finally {
    await app.close();
    await closeRedis(redis, 1_000);
  }
}
