/**
 * The API's configuration: one zod schema over the environment, parsed once at start. A bad variable
 * stops the process with one line per variable saying what is wrong.
 */
import { createHash } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import type { JobRetention } from '@ddinit/queue';
import { z } from 'zod';

/** Only `true`/`1` and `false`/`0`: `z.coerce.boolean()` would read "false" as true. */
const BoolEnv = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

const TENANT = /^[A-Za-z0-9_.-]{1,64}$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** One API key of `DDINIT_API_KEYS`. The key itself is dropped at parse time; only its hash is kept. */
export interface ApiKeyEntry {
  /** SHA-256 of the key, hex. */
  keyHash: string;
  tenant: string;
}

/** The form keys are kept in: SHA-256, hex. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

const ApiKeys = z.string().transform((value, ctx): ApiKeyEntry[] => {
  const entries: ApiKeyEntry[] = [];
  for (const [index, item] of value.split(',').entries()) {
    const pair = item.trim();
    if (pair === '') continue;
    const colon = pair.lastIndexOf(':');
    const key = pair.slice(0, colon);
    const tenant = pair.slice(colon + 1);
    if (colon < 1 || key.length < 16 || !TENANT.test(tenant)) {
      ctx.addIssue({
        code: 'custom',
        message: `entry ${index + 1} must be key:tenant with a key of at least 16 characters and a tenant of [A-Za-z0-9_.-]`,
      });
      continue;
    }
    entries.push({ keyHash: hashApiKey(key), tenant });
  }
  if (entries.length === 0 && ctx.issues.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'at least one key:tenant pair is required' });
  }
  return entries;
});

/** `*` allows every bucket; otherwise a comma list of S3 bucket names. */
const AllowedBuckets = z.string().transform((value, ctx): string[] | '*' => {
  if (value.trim() === '*') return '*';
  const buckets = value
    .split(',')
    .map((bucket) => bucket.trim())
    .filter((bucket) => bucket !== '');
  for (const bucket of buckets) {
    if (!BUCKET.test(bucket)) {
      ctx.addIssue({ code: 'custom', message: `"${bucket}" is not an S3 bucket name` });
    }
  }
  return buckets;
});

/**
 * `tenant=bucket|bucket,tenant=bucket`: the named tenants may use only their buckets; others use
 * `DDINIT_ALLOWED_BUCKETS`.
 */
const TenantBuckets = z.string().transform((value, ctx): Record<string, string[]> => {
  const byTenant: Record<string, string[]> = {};
  for (const [index, item] of value.split(',').entries()) {
    const entry = item.trim();
    if (entry === '') continue;
    const equals = entry.indexOf('=');
    const tenant = entry.slice(0, equals).trim();
    const buckets = entry
      .slice(equals + 1)
      .split('|')
      .map((bucket) => bucket.trim())
      .filter((bucket) => bucket !== '');
    if (equals < 1 || !TENANT.test(tenant) || buckets.length === 0) {
      ctx.addIssue({
        code: 'custom',
        message: `entry ${index + 1} must be tenant=bucket|bucket with a tenant of [A-Za-z0-9_.-]`,
      });
      continue;
    }
    if (Object.hasOwn(byTenant, tenant)) {
      ctx.addIssue({ code: 'custom', message: `tenant "${tenant}" is listed twice` });
    }
    for (const bucket of buckets) {
      if (!BUCKET.test(bucket))
        ctx.addIssue({ code: 'custom', message: `"${bucket}" is not an S3 bucket name` });
    }
    byTenant[tenant] = buckets;
  }
  return byTenant;
});

/** A request count per window, or `0`/`off` for no limit. */
const RateLimit = z
  .string()
  .regex(/^(off|\d{1,9})$/, 'must be a whole number of requests, or off')
  .transform((value) => (value === 'off' ? 0 : Number(value)));

const WebhookSecret = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, { message: 'must be whsec_ followed by base64', abort: true })
  .refine((value) => Buffer.from(value.slice(6), 'base64').length >= 24, 'must encode at least 24 bytes');

export const ApiEnv = z
  .object({
    /** @defaultValue 8080 */
    PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
    /** 0.0.0.0 so probes from outside a container reach it. @defaultValue '0.0.0.0' */
    HOST: z.string().min(1).default('0.0.0.0'),
    /** @defaultValue 'redis://127.0.0.1:6379' */
    REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
    /**
     * BullMQ key prefix; the workers must use the same one. Job records live under `<prefix>:ddinit:`.
     * @defaultValue 'bull'
     */
    DDINIT_QUEUE_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_{}.-]{1,64}$/)
      .default('bull'),
    /** `key:tenant,key:tenant`; required. Keys of at least 16 characters. */
    DDINIT_API_KEYS: ApiKeys,
    /** Buckets s3:// URIs of job specs may use: a comma list, or `*`. @defaultValue '' (none) */
    DDINIT_ALLOWED_BUCKETS: AllowedBuckets.default([]),
    /** Per-tenant bucket lists, `tenant=bucket|bucket,…`; each must lie within DDINIT_ALLOWED_BUCKETS. */
    DDINIT_TENANT_BUCKETS: TenantBuckets.default({}),
    /** file:// URIs are accepted only when set, and only under this absolute directory. */
    DDINIT_FILE_ROOT: z
      .string()
      .refine(isAbsolute, 'must be an absolute path')
      .transform((root) => resolve(root))
      .optional(),
    /** Custom S3 endpoint (MinIO, s3rver…); unset means AWS. */
    S3_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
    /** @defaultValue 'us-east-1' */
    S3_REGION: z.string().min(1).default('us-east-1'),
    /** Path-style URLs, which most non-AWS endpoints need. @defaultValue false */
    S3_FORCE_PATH_STYLE: BoolEnv.default(false),
    /** Static S3 credentials; unset means the AWS SDK's default chain. */
    AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
    AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    /** Lifetime of /download URLs in seconds. @defaultValue 900 */
    DDINIT_DOWNLOAD_EXPIRES_S: z.coerce
      .number()
      .int()
      .min(60)
      .max(7 * 24 * 3600)
      .default(900),
    /** Standard Webhooks secret `whsec_<base64>`; jobs with `callback.url` are refused without it. */
    DDINIT_WEBHOOK_SECRET: WebhookSecret.optional(),
    /**
     * Let callback URLs use http:// and reach loopback, private and link-local addresses. For
     * development only: it lets a job make this server post to internal services. @defaultValue false
     */
    DDINIT_WEBHOOK_ALLOW_PRIVATE: BoolEnv.default(false),
    /** Requests per window per tenant (per client IP without a valid key); `0` or `off` disables. @defaultValue 1200 */
    DDINIT_RATE_LIMIT: RateLimit.default(1_200),
    /** Length of the rate-limit window in seconds. @defaultValue 60 */
    DDINIT_RATE_LIMIT_WINDOW_S: z.coerce.number().int().min(1).max(86_400).default(60),
    /** Largest request body in bytes; a batch of 500 specs is about 1 MiB of JSON. @defaultValue 4 MiB */
    DDINIT_MAX_BODY_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(256 * 1024 * 1024)
      .default(4 * 1024 * 1024),
    /**
     * Run the schedule fan-out worker, the completion notifier and the webhook sender in this process.
     * Turn off on replicas that should only serve HTTP. @defaultValue true
     */
    DDINIT_BACKGROUND: BoolEnv.default(true),
    /** Days a job record (and its Idempotency-Key) is kept. @defaultValue 30 */
    DDINIT_JOB_RECORD_TTL_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
    /**
     * Seconds BullMQ keeps a succeeded job; views outlive it through the job record. Keep it well above
     * a few seconds, so the completion notifier reads the job before it goes. @defaultValue 604800 (7 days)
     */
    DDINIT_COMPLETED_RETENTION_S: z.coerce
      .number()
      .int()
      .min(1)
      .max(3650 * 24 * 3600)
      .default(604_800),
    /** Seconds BullMQ keeps a job that failed for good. @defaultValue 1209600 (14 days) */
    DDINIT_FAILED_RETENTION_S: z.coerce
      .number()
      .int()
      .min(1)
      .max(3650 * 24 * 3600)
      .default(1_209_600),
    /** @defaultValue 'info' */
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .superRefine((env, ctx) => {
    if ((env.AWS_ACCESS_KEY_ID === undefined) !== (env.AWS_SECRET_ACCESS_KEY === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [env.AWS_ACCESS_KEY_ID === undefined ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY'],
        message: 'set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither',
      });
    }
    const allowed = env.DDINIT_ALLOWED_BUCKETS;
    if (allowed === '*') return;
    for (const [tenant, buckets] of Object.entries(env.DDINIT_TENANT_BUCKETS)) {
      const outside = buckets.filter((bucket) => !allowed.includes(bucket));
      if (outside.length > 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['DDINIT_TENANT_BUCKETS'],
          message: `tenant "${tenant}" names ${outside.map((b) => `"${b}"`).join(', ')}, not in DDINIT_ALLOWED_BUCKETS (the workers' list)`,
        });
      }
    }
  });

export interface S3Config {
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** The parsed configuration; each field names the variable it comes from, which documents its default. */
export interface ApiConfig {
  /** `PORT`. @defaultValue 8080 */
  port: number;
  /** `HOST`. @defaultValue '0.0.0.0' */
  host: string;
  /** `REDIS_URL`. @defaultValue 'redis://127.0.0.1:6379' */
  redisUrl: string;
  /** `DDINIT_QUEUE_PREFIX`. @defaultValue 'bull' */
  queuePrefix: string;
  /** `DDINIT_API_KEYS`, hashed. */
  apiKeys: ApiKeyEntry[];
  /** `DDINIT_ALLOWED_BUCKETS`. @defaultValue [] (no s3:// URI is accepted) */
  allowedBuckets: string[] | '*';
  /**
   * `DDINIT_TENANT_BUCKETS`: tenants listed here may use only their own buckets; others use
   * `allowedBuckets`. @defaultValue {} (every tenant uses `allowedBuckets`)
   */
  tenantBuckets?: Record<string, string[]>;
  /** `DDINIT_FILE_ROOT`; unset refuses every file:// URI. */
  fileRoot?: string;
  /** `S3_*` and `AWS_*`; present when any bucket is allowed, since only then can a job name s3://. */
  s3?: S3Config;
  /** `DDINIT_DOWNLOAD_EXPIRES_S`. @defaultValue 900 */
  downloadExpiresSeconds: number;
  /** `DDINIT_WEBHOOK_SECRET`; unset refuses jobs with `callback.url`. */
  webhookSecret?: string;
  /**
   * `DDINIT_WEBHOOK_ALLOW_PRIVATE`: http:// callbacks and non-public addresses allowed. Development only.
   * @defaultValue false
   */
  webhookAllowPrivate?: boolean;
  /**
   * `DDINIT_RATE_LIMIT` requests per `DDINIT_RATE_LIMIT_WINDOW_S` per tenant. Absent or `max: 0`
   * means no limit (a config built in code, as the benchmarks do, has none).
   * @defaultValue { max: 1200, windowSeconds: 60 } from the environment
   */
  rateLimit?: { max: number; windowSeconds: number };
  /** `DDINIT_MAX_BODY_BYTES`. @defaultValue 4_194_304 */
  maxBodyBytes?: number;
  /** `DDINIT_BACKGROUND`. @defaultValue true */
  background: boolean;
  /** `DDINIT_JOB_RECORD_TTL_DAYS` in seconds. @defaultValue 2_592_000 */
  jobRecordTtlSeconds: number;
  /** `DDINIT_COMPLETED_RETENTION_S`, `DDINIT_FAILED_RETENTION_S`. @defaultValue DEFAULT_JOB_RETENTION */
  jobRetention?: JobRetention;
  /** `LOG_LEVEL`. @defaultValue 'info' */
  logLevel: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses the environment; throws ConfigError listing every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): ApiConfig {
  // An empty variable means "unset", as in most deployment tools.
  const defined = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = ApiEnv.safeParse(defined);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (issue) => `  ${issue.path.join('.') || '(env)'}: ${issue.message}`,
    );
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const anyBucket = e.DDINIT_ALLOWED_BUCKETS === '*' || e.DDINIT_ALLOWED_BUCKETS.length > 0;
  return {
    port: e.PORT,
    host: e.HOST,
    redisUrl: e.REDIS_URL,
    queuePrefix: e.DDINIT_QUEUE_PREFIX,
    apiKeys: e.DDINIT_API_KEYS,
    allowedBuckets: e.DDINIT_ALLOWED_BUCKETS,
    tenantBuckets: e.DDINIT_TENANT_BUCKETS,
    ...(e.DDINIT_FILE_ROOT ? { fileRoot: e.DDINIT_FILE_ROOT } : {}),
    ...(anyBucket
      ? {
          s3: {
            ...(e.S3_ENDPOINT ? { endpoint: e.S3_ENDPOINT } : {}),
            region: e.S3_REGION,
            forcePathStyle: e.S3_FORCE_PATH_STYLE,
            ...(e.AWS_ACCESS_KEY_ID && e.AWS_SECRET_ACCESS_KEY
              ? {
                  credentials: { accessKeyId: e.AWS_ACCESS_KEY_ID, secretAccessKey: e.AWS_SECRET_ACCESS_KEY },
                }
              : {}),
          },
        }
      : {}),
    downloadExpiresSeconds: e.DDINIT_DOWNLOAD_EXPIRES_S,
    ...(e.DDINIT_WEBHOOK_SECRET ? { webhookSecret: e.DDINIT_WEBHOOK_SECRET } : {}),
    webhookAllowPrivate: e.DDINIT_WEBHOOK_ALLOW_PRIVATE,
    rateLimit: { max: e.DDINIT_RATE_LIMIT, windowSeconds: e.DDINIT_RATE_LIMIT_WINDOW_S },
    maxBodyBytes: e.DDINIT_MAX_BODY_BYTES,
    background: e.DDINIT_BACKGROUND,
    jobRecordTtlSeconds: e.DDINIT_JOB_RECORD_TTL_DAYS * 24 * 3600,
    jobRetention: {
      completedSeconds: e.DDINIT_COMPLETED_RETENTION_S,
      failedSeconds: e.DDINIT_FAILED_RETENTION_S,
    },
    logLevel: e.LOG_LEVEL,
  };
}
