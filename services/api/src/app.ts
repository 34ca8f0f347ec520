/**
 * `buildApp` wires the API together without listening, so tests and the CLI's `serve` can host it;
 * `server.ts` listens. Connections: one fail-fast producer connection (`enableOfflineQueue: false`)
 * for every request, so a Redis outage answers 503 at once; and, when background work runs, one
 * retry-forever connection that BullMQ duplicates for each blocking consumer.
 */
import type { EventEmitter } from 'node:events';
import {
  DEFAULT_JOB_RETENTION,
  INIT_QUEUE,
  type InitJobData,
  initJobOptions,
  JobStore,
  redisConnection,
} from '@ddinit/queue';
import { S3Access } from '@ddinit/storage/s3';
import { validatorCompiler, type ZodTypeProvider } from '@fastify/type-provider-zod';
import { Queue, QueueEventsProducer } from 'bullmq';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { ApiKeyRing, requireApiKey } from './auth.js';
import { Background } from './background.js';
import { BatchStore } from './batch-store.js';
import type { ApiConfig } from './config.js';
import { JobService } from './job-service.js';
import { ApiMetrics, QUEUE_STATES } from './metrics.js';
import { registerOpenApi } from './openapi.js';
import { redisUnavailable, registerProblemHandlers, sendFrameworkError } from './problems.js';
import { createRateLimiter } from './rate-limit.js';
import { batchRoutes } from './routes/batches.js';
import { consoleRoutes } from './routes/console.js';
import { healthRoutes } from './routes/health.js';
import { jobRoutes } from './routes/jobs.js';
import { scheduleRoutes } from './routes/schedules.js';
import { SCHEDULE_QUEUE, type ScheduleFiring } from './schedule-runner.js';
import { ScheduleStore } from './schedule-store.js';
import { serializerCompiler } from './serializer.js';
import { closeRedis, settleWithin } from './settle.js';
import type { SpecPolicy } from './spec-policy.js';
import type { Resolver, WebhookTargetPolicy } from './ssrf.js';
import { WEBHOOK_QUEUE, type WebhookDelivery, WebhookOutbox, type WebhookRetryOptions } from './webhooks.js';

export interface AppDeps {
  /**
   * The producer connection. Must fail fast (`enableOfflineQueue: false`); the app closes it only if
   * it created it. @defaultValue a new connection to `config.redisUrl`
   */
  redis?: Redis;
  /** Presigning and the S3 readiness probe. @defaultValue an S3 client from `config.s3`, if any */
  objects?: S3Access;
  /** Webhook retry schedule; tests shorten it. @defaultValue 12 attempts from 2 s, doubling */
  webhookRetry?: WebhookRetryOptions;
  /** Resolves webhook hosts for the SSRF checks; tests give a fixed table. @defaultValue DNS */
  resolveHost?: Resolver;
}

/** Most time given to each background part to finish its work when the app closes. */
const CLOSE_TIMEOUT_MS = 5_000;

function watchConnection(redis: Redis, name: string, log: FastifyBaseLogger): void {
  let down = false;
  // ioredis emits an error per reconnect attempt; one warning per outage is enough.
  redis.on('error', (error) => {
    if (!down) log.warn({ err: error, connection: name }, 'Redis connection lost');
    down = true;
  });
  redis.on('ready', () => {
    if (down) log.info({ connection: name }, 'Redis connection back');
    down = false;
  });
}

export async function buildApp(config: ApiConfig, deps: AppDeps = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: config.logLevel, redact: ['req.headers.authorization'] },
    // A batch of 500 specs is about 1 MiB of JSON.
    bodyLimit: config.maxBodyBytes ?? 4 * 1024 * 1024,
    requestTimeout: 60_000,
    // While closing, a request already on an open connection is served (with `Connection: close`)
    // rather than refused with a bare 503: Redis stays open until the server has closed.
    return503OnClosing: false,
    frameworkErrors: sendFrameworkError,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerProblemHandlers(app);

  const prefix = config.queuePrefix;
  const ownsRedis = deps.redis === undefined;
  const redis = deps.redis ?? redisConnection(config.redisUrl, 'producer');
  watchConnection(redis, 'producer', app.log);

  const queue = new Queue<InitJobData>(INIT_QUEUE, { connection: redis, prefix });
  const firings = new Queue<ScheduleFiring>(SCHEDULE_QUEUE, { connection: redis, prefix });
  const deliveries = new Queue<WebhookDelivery>(WEBHOOK_QUEUE, { connection: redis, prefix });
  const events = new QueueEventsProducer(INIT_QUEUE, { connection: redis, prefix });
  for (const emitter of [queue, firings, deliveries, events] as EventEmitter[]) {
    emitter.on('error', (error: Error) => app.log.debug({ err: error }, 'queue error'));
  }

  const store = new JobStore(redis, { prefix, recordTtlSeconds: config.jobRecordTtlSeconds });
  const schedules = new ScheduleStore(redis, store);
  const batches = new BatchStore(redis, store);
  const outbox = new WebhookOutbox(deliveries, deps.webhookRetry);
  const retention = config.jobRetention ?? DEFAULT_JOB_RETENTION;
  const jobs = new JobService(queue, events, store, outbox, initJobOptions(retention));
  const objects =
    deps.objects ??
    (config.s3
      ? new S3Access(config.s3, {
          ...(config.allowedBuckets !== '*' && { probeBucket: config.allowedBuckets[0] }),
        })
      : undefined);
  const metrics = new ApiMetrics({
    // BullMQ waits for a connection that never came up instead of failing; ask only a ready one.
    queueCounts: async () => {
      if (redis.status !== 'ready') throw new Error('Redis is not connected');
      return queue.getJobCounts(...QUEUE_STATES);
    },
  });
  const webhookTargets: WebhookTargetPolicy = {
    allowPrivate: config.webhookAllowPrivate ?? false,
    ...(deps.resolveHost ? { resolve: deps.resolveHost } : {}),
  };
  const policy: SpecPolicy = {
    allowedBuckets: config.allowedBuckets,
    ...(config.tenantBuckets ? { tenantBuckets: config.tenantBuckets } : {}),
    ...(config.fileRoot ? { fileRoot: config.fileRoot } : {}),
    webhooks: config.webhookSecret !== undefined,
    allowPrivateWebhooks: webhookTargets.allowPrivate,
    ...(deps.resolveHost ? { resolveHost: deps.resolveHost } : {}),
  };

  const background = config.background
    ? new Background({
        redisUrl: config.redisUrl,
        prefix,
        store,
        queue,
        retention,
        schedules,
        jobs,
        policy,
        outbox,
        metrics,
        logger: app.log,
        ...(config.webhookSecret ? { webhookSecret: config.webhookSecret } : {}),
        webhookTargets,
        closeTimeoutMs: CLOSE_TIMEOUT_MS,
      })
    : undefined;
  if (background) watchConnection(background.connection, 'consumer', app.log);

  app.addHook('onClose', async () => {
    await background?.close();
    await Promise.all(
      [queue, firings, deliveries, events].map((part) =>
        settleWithin(
          CLOSE_TIMEOUT_MS,
          () => part.close(),
          () => part.disconnect(),
        ),
      ),
    );
    if (ownsRedis) await closeRedis(redis, CLOSE_TIMEOUT_MS);
    objects?.close();
  });

  try {
    await registerRoutes();
  } catch (error) {
    // Close what was opened above rather than leak connections and workers.
    await app.close();
    throw error;
  }
  return app;

  async function registerRoutes(): Promise<void> {
    metrics.instrument(app);
    await registerOpenApi(app);
    await app.register(healthRoutes, { redis, ...(objects ? { objects } : {}), metrics });
    await app.register(consoleRoutes);
    await app.register(
      async (v1) => {
        const limit = await createRateLimiter(v1, redis, store.key('rate-limit', ''), config.rateLimit);
        requireApiKey(v1, new ApiKeyRing(config.apiKeys), limit);
        // Fail at once while Redis is away; BullMQ calls would otherwise wait for the reconnection.
        v1.addHook('onRequest', async () => {
          if (redis.status !== 'ready') throw redisUnavailable();
        });
        await v1.register(jobRoutes, {
          jobs,
          policy,
          ...(objects ? { objects } : {}),
          downloadExpiresSeconds: config.downloadExpiresSeconds,
        });
        await v1.register(scheduleRoutes, { schedules, firings, jobs, store, policy });
        await v1.register(batchRoutes, { batches, jobs, policy });
      },
      { prefix: '/v1' },
    );
    await app.ready();
  }
}
