/**
 * Every error the API returns, declared in one table (fastify's lib/errors.js style) and sent as RFC
 * 9457 `application/problem+json` by one error handler and one not-found handler.
 */
import type { FieldError, Problem } from '@ddinit/contracts';
import { hasZodFastifySchemaValidationErrors } from '@fastify/type-provider-zod';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Stable problem codes with their HTTP status and title. */
export const PROBLEMS = {
  validation_failed: { status: 400, title: 'The request is not valid' },
  bad_request: { status: 400, title: 'Bad request' },
  unauthorized: { status: 401, title: 'Missing or invalid API key' },
  not_found: { status: 404, title: 'Not found' },
  job_not_found: { status: 404, title: 'Job not found' },
  schedule_not_found: { status: 404, title: 'Schedule not found' },
  batch_not_found: { status: 404, title: 'Batch not found' },
  job_final: { status: 409, title: 'The job has already finished' },
  job_not_succeeded: { status: 409, title: 'The job has not succeeded' },
  job_not_retriable: { status: 409, title: 'Only a failed or cancelled job can be retried' },
  payload_too_large: { status: 413, title: 'Request body too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  idempotency_key_reused: { status: 422, title: 'Idempotency-Key reused with a different request' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal error' },
  redis_unavailable: { status: 503, title: 'The job store is unavailable' },
  storage_unavailable: { status: 503, title: 'Object storage is unavailable' },
  not_ready: { status: 503, title: 'Not ready' },
} as const satisfies Record<string, { status: number; title: string }>;
export type ProblemCode = keyof typeof PROBLEMS;

/** Seconds clients are told to wait after a 503; Redis reconnects within about this long. */
export const RETRY_AFTER_SECONDS = 5;

export interface ProblemOptions {
  errors?: FieldError[];
  headers?: Record<string, string>;
  /** Extension members added to the body, e.g. readiness `checks`. */
  extensions?: Record<string, unknown>;
}

export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly options: ProblemOptions = {},
  ) {
    super(`${code}: ${detail}`);
  }

  get status(): number {
    return PROBLEMS[this.code].status;
  }
}

export function problem(code: ProblemCode, detail: string, options?: ProblemOptions): ProblemError {
  return new ProblemError(code, detail, options);
}

export function validationProblem(errors: FieldError[]): ProblemError {
  const fields = errors.map((error) => error.path).join(', ');
  return problem('validation_failed', `invalid fields: ${fields}`, { errors });
}

export function redisUnavailable(): ProblemError {
  return problem('redis_unavailable', 'Redis cannot be reached; retry later', {
    headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
  });
}

/**
 * Errors ioredis raises when Redis is away: with `enableOfflineQueue: false` commands fail at once
 * instead of waiting, and these are the messages they fail with; when Redis stops answering, the
 * producer's socket timeout closes the connection and its pending commands fail too.
 */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'MaxRetriesPerRequestError') return true;
  return /Stream isn't writeable|enableOfflineQueue|Connection is closed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|max retries per request|Socket timeout/i.test(
    error.message,
  );
}

const CONTEXT_NAMES: Record<string, string> = {
  querystring: 'query',
  body: 'body',
  params: 'params',
  headers: 'headers',
};

interface ZodIssueLike {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

/** One field error per bad field; zod reports unknown keys as one issue, split here into one per key. */
export function fieldErrors(context: string, issues: readonly ZodIssueLike[]): FieldError[] {
  const location = CONTEXT_NAMES[context] ?? context;
  const errors: FieldError[] = [];
  for (const issue of issues) {
    const segments = issue.instancePath.split('/').filter((segment) => segment !== '');
    const path = [location, ...segments].join('.');
    const keys = issue.params.keys;
    if (issue.keyword === 'unrecognized_keys' && Array.isArray(keys)) {
      for (const key of keys) errors.push({ path: `${path}.${String(key)}`, message: 'unknown field' });
    } else {
      errors.push({ path, message: issue.message ?? issue.keyword });
    }
  }
  return errors;
}

function fromFastifyError(error: FastifyError): ProblemError | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem('payload_too_large', error.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return problem('unsupported_media_type', error.message);
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return problem('bad_request', error.message);
  }
  return undefined;
}

/** Maps anything thrown in a request to a problem; unknown errors become a 500 that leaks nothing. */
export function toProblem(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const context = (error as { validationContext?: string }).validationContext ?? 'body';
    return validationProblem(fieldErrors(context, error.validation as unknown as ZodIssueLike[]));
  }
  if (isRedisUnavailable(error)) return redisUnavailable();
  if (error instanceof Error && 'code' in error) {
    const mapped = fromFastifyError(error as FastifyError);
    if (mapped) return mapped;
  }
  return problem('internal', 'an internal error occurred; it has been logged');
}

export function problemBody(error: ProblemError, instance: string): Problem {
  const { title, status } = PROBLEMS[error.code];
  return {
    type: `urn:ddinit:problem:${error.code}`,
    title,
    status,
    detail: error.detail,
    code: error.code,
    instance,
    ...(error.options.errors ? { errors: error.options.errors } : {}),
    ...error.options.extensions,
  };
}

/**
 * Sends a problem as a string so the route's response serializer does not reshape it (error replies
 * would otherwise go through the 2xx schema of the route).
 */
export function sendProblem(reply: FastifyReply, request: FastifyRequest, error: ProblemError): FastifyReply {
  for (const [name, value] of Object.entries(error.options.headers ?? {})) reply.header(name, value);
  // Every 503 says when to come back, so clients back off instead of hammering a recovering server.
  if (error.status === 503 && !reply.hasHeader('retry-after')) {
    reply.header('retry-after', String(RETRY_AFTER_SECONDS));
  }
  return reply
    .code(error.status)
    .type('application/problem+json; charset=utf-8')
    .send(JSON.stringify(problemBody(error, request.url.split('?')[0] ?? request.url)));
}

/**
 * Fastify's `frameworkErrors` option: errors raised before routing (a path with broken percent
 * encoding) would otherwise get fastify's plain JSON instead of a problem.
 */
export function sendFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  void sendProblem(reply, request, toProblem(error));
}

export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const mapped = toProblem(error);
    // Outages are logged where they are detected (connection watchers, readiness); only the
    // unexpected gets an error line per request.
    if (mapped.code === 'internal') {
      request.log.error({ err: error }, 'request failed');
    } else {
      request.log.debug({ err: error, code: mapped.code }, 'request refused');
    }
    return sendProblem(reply, request, mapped);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      request,
      problem('not_found', `no route for ${request.method} ${request.url.split('?')[0]}`),
    ),
  );
}
