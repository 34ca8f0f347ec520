import type { S3Access } from '@ddinit/storage/s3';
import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { ApiMetrics } from '../metrics.js';
import { problem, RETRY_AFTER_SECONDS } from '../problems.js';
import { problemResponses } from './common.js';

export interface HealthRoutesOptions {
  redis: Redis;
  objects?: S3Access;
  metrics: ApiMetrics;
  /** Per-dependency probe timeout in ms. @defaultValue 2_000 */
  probeTimeoutMs?: number;
}

const Check = z.enum(['ok', 'failed', 'not_configured']);
const Readiness = z.object({ status: z.literal('ready'), checks: z.object({ redis: Check, s3: Check }) });

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    work,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref(),
    ),
  ]);
}

/** Probes, metrics: no API key, and not under /v1. */
export const healthRoutes: FastifyPluginAsyncZod<HealthRoutesOptions> = async (app, options) => {
  const timeout = options.probeTimeoutMs ?? 2_000;

  app.get(
    '/health/live',
    {
      schema: {
        tags: ['operations'],
        summary: 'Liveness: the process serves HTTP (checks no dependency)',
        security: [],
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/health/ready',
    {
      schema: {
        tags: ['operations'],
        summary: 'Readiness: Redis answers, and S3 when configured',
        security: [],
        response: { 200: Readiness, ...problemResponses(503) },
      },
    },
    async (request) => {
      const [redis, s3] = await Promise.all([
        withTimeout(options.redis.ping(), timeout).then(
          () => 'ok' as const,
          (error) => {
            request.log.warn({ err: error }, 'readiness: Redis failed');
            return 'failed' as const;
          },
        ),
        options.objects
          ? withTimeout(options.objects.probe(timeout), timeout).then(
              () => 'ok' as const,
              (error) => {
                request.log.warn({ err: error }, 'readiness: S3 failed');
                return 'failed' as const;
              },
            )
          : ('not_configured' as const),
      ]);
      const checks = { redis, s3 };
      if (redis === 'failed' || s3 === 'failed') {
        const failed = Object.entries(checks)
          .filter(([, state]) => state === 'failed')
          .map(([name]) => name);
        throw problem('not_ready', `unreachable: ${failed.join(', ')}`, {
          headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
          extensions: { checks },
        });
      }
      return { status: 'ready' as const, checks };
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics',
        description: 'Prometheus text exposition format (no response schema: it is not JSON).',
        security: [],
      },
    },
    async (_request, reply) => {
      reply.type(options.metrics.registry.contentType);
      return options.metrics.registry.metrics();
    },
  );
};
