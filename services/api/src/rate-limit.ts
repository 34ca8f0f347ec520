/**
 * Requests per window per tenant, counted in Redis by @fastify/rate-limit's store (one Lua call per
 * request) so every API replica shares one count. Callers without a valid key are counted per client
 * IP, which also slows down key guessing. When Redis fails the request is let through: the API's own
 * Redis check then answers 503, and a limiter outage never becomes a 500.
 */
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { problem } from './problems.js';

export interface RateLimitSettings {
  /** Requests per window per tenant; 0 disables the limit. */
  max: number;
  windowSeconds: number;
}

/** Counts `request` and throws a `rate_limited` problem once its tenant (or IP) is over the limit. */
export type RateLimiter = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** Who a request is counted against: its tenant once authenticated, else its client IP. */
function subjectOf(request: FastifyRequest): string {
  return request.tenant === undefined ? `ip:${request.ip}` : `tenant:${request.tenant}`;
}

/**
 * Registers the limiter on `app` and returns it, or undefined when the limit is off. Counters live
 * under `keyPrefix`, beside the API's other keys, and expire with their window.
 */
export async function createRateLimiter(
  app: FastifyInstance,
  redis: Redis,
  keyPrefix: string,
  settings: RateLimitSettings | undefined,
): Promise<RateLimiter | undefined> {
  if (!settings || settings.max === 0) return undefined;
  await app.register(fastifyRateLimit, {
    // Applied by the auth hook (see auth.ts), not per route: it must know the tenant first.
    global: false,
    redis,
    nameSpace: keyPrefix,
    max: settings.max,
    timeWindow: settings.windowSeconds * 1000,
    keyGenerator: subjectOf,
    skipOnError: true,
  });
  const count = app.createRateLimit();
  return async (request, reply) => {
    const outcome = await count(request);
    // The store failed (skipOnError) or the subject is allow-listed: nothing to say.
    if (outcome.isAllowed || outcome.ttl === 0) return;
    reply.header('x-ratelimit-limit', outcome.max);
    reply.header('x-ratelimit-remaining', outcome.remaining);
    reply.header('x-ratelimit-reset', outcome.ttlInSeconds);
    if (outcome.isExceeded) {
      throw problem(
        'rate_limited',
        `more than ${outcome.max} requests in ${settings.windowSeconds} s; retry in ${outcome.ttlInSeconds} s`,
        { headers: { 'retry-after': String(Math.max(1, outcome.ttlInSeconds)) } },
      );
    }
  };
}
