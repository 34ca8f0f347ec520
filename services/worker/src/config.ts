/**
 * The worker's configuration: one zod schema over the environment, parsed once at start. A bad value
 * stops the worker before it touches Redis, with a message that names every bad variable.
 */
import path from 'node:path';
import { type Limits, LimitsEnv, limitsFromEnv } from '@ddinit/contracts';
import type { StorageConfig } from '@ddinit/storage';
import { BACKEND_NAMES, type BackendName } from '@ddinit/tf';
import { z } from 'zod';
import { configInvalid } from './errors.js';

export interface WorkerConfig {
  /** `REDIS_URL`. @defaultValue `'redis://127.0.0.1:6379'` */
  redisUrl: string;
  /**
   * BullMQ's key prefix (`DDINIT_QUEUE_PREFIX`); the API must use the same one. Changing it orphans
   * every queued job.
   * @defaultValue `'bull'` (BullMQ's own default)
   */
  queuePrefix: string;
  /**
   * S3 client settings (`S3_ENDPOINT`, `S3_REGION`, `S3_FORCE_PATH_STYLE`, and `S3_MAX_ATTEMPTS` and
   * `S3_RETRY_MODE`, tries per request and how they back off: the SDK's 3 and `standard` if unset;
   * `S3_SOCKET_TIMEOUT_S`, the silence after which a request is given up and retried: 60 if unset),
   * allowed buckets (`DDINIT_ALLOWED_BUCKETS`), file root (`DDINIT_FILE_ROOT`).
   */
  storage: StorageConfig;
  /** `DDINIT_BACKEND`. @defaultValue `'auto'` */
  backend: BackendName | 'auto';
  /** Longest a job may run (`DDINIT_JOB_TIMEOUT_S`) before it fails with `timeout`. @defaultValue 3_600_000 */
  jobTimeoutMs: number;
  /**
   * How long a job's lock lasts without renewal (`DDINIT_LOCK_MS`): a job of a worker that died is
   * retried about this long after. Shorter means faster recovery but more Redis traffic.
   * @defaultValue 60_000
   */
  lockMs: number;
  /**
   * How often this worker looks for jobs whose lock expired.
   * @defaultValue `min(lockMs, 30_000)`
   */
  stalledIntervalMs?: number;
  /**
   * How long shutdown waits for the running job before aborting it (`DDINIT_SHUTDOWN_GRACE_S`); keep
   * it under the platform's kill timeout (Kubernetes: terminationGracePeriodSeconds).
   * @defaultValue 25_000
   */
  shutdownGraceMs: number;
  /** Port of the health and metrics server (`WORKER_HEALTH_PORT`; 0 picks a free one). @defaultValue none */
  healthPort?: number;
  /** Bounds on each job's model and data (`DDINIT_MAX_*`, see `LIMITS_ENV`). @defaultValue `DEFAULT_LIMITS` */
  limits: Limits;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Environment variables are strings; an empty one counts as unset, as docker-compose leaves them. */
const unsetIfEmpty = (value: unknown) => (value === '' ? undefined : value);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(unsetIfEmpty, schema.optional());
// `prefault`: the default is parsed like a set value, so it goes through the same transforms.
const withDefault = <T extends z.ZodType>(schema: T, value: z.input<T>) =>
  z.preprocess(unsetIfEmpty, schema.prefault(value as never));
const integer = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(min).max(max);

const Env = z.object({
  REDIS_URL: withDefault(
    z.string().regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL'),
    'redis://127.0.0.1:6379',
  ),
  DDINIT_QUEUE_PREFIX: withDefault(z.string().regex(/^[^:\s]+$/, 'must not contain ":" or spaces'), 'bull'),
  S3_ENDPOINT: optional(z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })),
  S3_REGION: withDefault(z.string(), 'us-east-1'),
  S3_FORCE_PATH_STYLE: withDefault(z.stringbool({ error: 'must be true or false' }), 'false'),
  // Unset: the SDK's defaults, 3 tries per request in `standard` mode.
  S3_MAX_ATTEMPTS: optional(integer(1, 20)),
  S3_RETRY_MODE: optional(z.enum(['standard', 'adaptive'])),
  // Unset: storage's 60 s.
  S3_SOCKET_TIMEOUT_S: optional(integer(1, 3600)),
  AWS_ACCESS_KEY_ID: optional(z.string()),
  AWS_SECRET_ACCESS_KEY: optional(z.string()),
  DDINIT_ALLOWED_BUCKETS: withDefault(
    z
      .string()
      .transform((value) =>
        value.trim() === '*'
          ? ('*' as const)
          : value
              .split(',')
              .map((name) => name.trim())
              .filter(Boolean),
      )
      .refine(
        (buckets) => buckets === '*' || buckets.every((name) => BUCKET.test(name)),
        'must be * or a comma-separated list of S3 bucket names',
      ),
    '',
  ),
  DDINIT_FILE_ROOT: optional(z.string().refine((root) => path.isAbsolute(root), 'must be an absolute path')),
  DDINIT_BACKEND: withDefault(z.enum(['auto', ...BACKEND_NAMES]), 'auto'),
  DDINIT_JOB_TIMEOUT_S: withDefault(integer(1), 3600),
  DDINIT_LOCK_MS: withDefault(integer(1000), 60_000),
  DDINIT_SHUTDOWN_GRACE_S: withDefault(integer(0), 25),
  WORKER_HEALTH_PORT: optional(integer(0, 65_535)),
  ...LimitsEnv.shape,
});

/** The access key pair: one without the other would silently fall back to the SDK's default chain. */
const KEY_PAIR = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;

/**
 * Reads the worker's configuration from `env`.
 * @throws DdinitError `config_invalid`, listing each bad variable and why.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): WorkerConfig {
  const parsed = Env.safeParse(env);
  const problems = (parsed.error?.issues ?? []).map((issue) => {
    const name = String(issue.path[0] ?? 'environment');
    const value = env[name];
    return `${name}${value === undefined ? '' : ` (${JSON.stringify(redact(name, value))})`}: ${issue.message}`;
  });
  const pairSet = KEY_PAIR.map((name) => (env[name] ?? '') !== '');
  if (pairSet[0] !== pairSet[1])
    problems.push(
      `${KEY_PAIR[pairSet[0] ? 1 : 0]}: must be set together with ${KEY_PAIR[pairSet[0] ? 0 : 1]}`,
    );
  if (!parsed.success || problems.length > 0) throw configInvalid(problems);
  const e = parsed.data;
  return {
    redisUrl: e.REDIS_URL,
    queuePrefix: e.DDINIT_QUEUE_PREFIX,
    storage: {
      s3: {
        region: e.S3_REGION,
        forcePathStyle: e.S3_FORCE_PATH_STYLE,
        ...(e.S3_ENDPOINT !== undefined && { endpoint: e.S3_ENDPOINT }),
        ...(e.S3_MAX_ATTEMPTS !== undefined && { maxAttempts: e.S3_MAX_ATTEMPTS }),
        ...(e.S3_RETRY_MODE !== undefined && { retryMode: e.S3_RETRY_MODE }),
        ...(e.S3_SOCKET_TIMEOUT_S !== undefined && { socketTimeoutMs: e.S3_SOCKET_TIMEOUT_S * 1000 }),
        ...(e.AWS_ACCESS_KEY_ID !== undefined &&
          e.AWS_SECRET_ACCESS_KEY !== undefined && {
            credentials: { accessKeyId: e.AWS_ACCESS_KEY_ID, secretAccessKey: e.AWS_SECRET_ACCESS_KEY },
          }),
      },
      allowedBuckets: e.DDINIT_ALLOWED_BUCKETS,
      ...(e.DDINIT_FILE_ROOT !== undefined && { fileRoot: e.DDINIT_FILE_ROOT }),
    },
    backend: e.DDINIT_BACKEND,
    jobTimeoutMs: e.DDINIT_JOB_TIMEOUT_S * 1000,
    lockMs: e.DDINIT_LOCK_MS,
    shutdownGraceMs: e.DDINIT_SHUTDOWN_GRACE_S * 1000,
    ...(e.WORKER_HEALTH_PORT !== undefined && { healthPort: e.WORKER_HEALTH_PORT }),
    limits: limitsFromEnv(e),
  };
}

/** Secrets never reach logs, even when they are the bad value. */
function redact(name: string, value: string): string {
  return name === 'AWS_SECRET_ACCESS_KEY' ? '***' : value;
}
