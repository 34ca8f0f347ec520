/**
 * API keys: `Authorization: Bearer <key>` maps to a tenant. Only SHA-256 hashes of the keys are held,
 * and a presented key is compared with every stored hash in constant time, so neither a memory dump
 * nor response timing gives a key away.
 */
import { hash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiKeyEntry } from './config.js';
import { problem } from './problems.js';
import type { RateLimiter } from './rate-limit.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The tenant of the request's API key; set by the auth hook on every /v1 route that runs. */
    tenant: string;
  }
}

export class ApiKeyRing {
  private readonly entries: { hash: Buffer; tenant: string }[];

  constructor(keys: readonly ApiKeyEntry[]) {
    this.entries = keys.map((entry) => ({ hash: Buffer.from(entry.keyHash, 'hex'), tenant: entry.tenant }));
  }

  /** The tenant of `key`, or undefined. Every entry is compared, whether or not one matched already. */
  tenantOf(key: string): string | undefined {
    const presented = hash('sha256', key, 'buffer');
    let tenant: string | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(presented, entry.hash) && tenant === undefined) tenant = entry.tenant;
    }
    return tenant;
  }
}

export function bearerToken(request: FastifyRequest): string | undefined {
  const match = /^Bearer[ \t]+([\x21-\x7e]+)[ \t]*$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}

const CHALLENGE = { 'www-authenticate': 'Bearer realm="ddinit"' };

/**
 * Requires a valid key on every route of `app`'s scope. Runs on `onRequest`, before the body is read
 * or validated, so an anonymous caller learns nothing about the schemas. `limit`, when given, counts
 * the request first (against the tenant, or the client IP without a valid key), so guessing keys is
 * rate limited too.
 */
export function requireApiKey(app: FastifyInstance, ring: ApiKeyRing, limit?: RateLimiter): void {
  app.addHook('onRequest', async (request, reply) => {
    const key = bearerToken(request);
    const tenant = key === undefined ? undefined : ring.tenantOf(key);
    if (tenant !== undefined) request.tenant = tenant;
    await limit?.(request, reply);
    if (key === undefined) {
      throw problem('unauthorized', 'send Authorization: Bearer <api key>', { headers: CHALLENGE });
    }
    if (tenant === undefined) {
      throw problem('unauthorized', 'the API key is not valid', {
        headers: { 'www-authenticate': 'Bearer realm="ddinit", error="invalid_token"' },
      });
    }
  });
}
