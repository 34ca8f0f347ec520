import { ConfigError, hashApiKey, loadConfig } from './config.js';

const KEYS = 'sk_live_0123456789abcdef:acme,sk_live_fedcba9876543210:globex';

function errorOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('fills every default', () => {
    const config = loadConfig({ DDINIT_API_KEYS: KEYS });
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      redisUrl: 'redis://127.0.0.1:6379',
      queuePrefix: 'bull',
      allowedBuckets: [],
      downloadExpiresSeconds: 900,
      background: true,
      jobRecordTtlSeconds: 30 * 24 * 3600,
      jobRetention: { completedSeconds: 7 * 24 * 3600, failedSeconds: 14 * 24 * 3600 },
      logLevel: 'info',
      tenantBuckets: {},
      webhookAllowPrivate: false,
      rateLimit: { max: 1200, windowSeconds: 60 },
      maxBodyBytes: 4 * 1024 * 1024,
    });
    expect(config.s3).toBeUndefined();
    expect(config.fileRoot).toBeUndefined();
    expect(config.webhookSecret).toBeUndefined();
  });

  it('keeps only SHA-256 hashes of the API keys', () => {
    const config = loadConfig({ DDINIT_API_KEYS: KEYS });
    expect(config.apiKeys).toEqual([
      { keyHash: hashApiKey('sk_live_0123456789abcdef'), tenant: 'acme' },
      { keyHash: hashApiKey('sk_live_fedcba9876543210'), tenant: 'globex' },
    ]);
    expect(JSON.stringify(config)).not.toContain('sk_live_');
  });

  it('names every bad variable on its own line', () => {
    const message = errorOf({
      PORT: 'eighty',
      REDIS_URL: 'http://localhost',
      DDINIT_API_KEYS: 'short:acme',
      DDINIT_ALLOWED_BUCKETS: 'Not_A_Bucket',
      DDINIT_FILE_ROOT: 'relative/dir',
      S3_FORCE_PATH_STYLE: 'yes',
      AWS_ACCESS_KEY_ID: 'AKIA',
      DDINIT_WEBHOOK_SECRET: 'plain',
    });
    const lines = message.split('\n').slice(1);
    const names = lines.map((line) => line.trim().split(':')[0]);
    expect(names).toEqual([
      'PORT',
      'REDIS_URL',
      'DDINIT_API_KEYS',
      'DDINIT_ALLOWED_BUCKETS',
      'DDINIT_FILE_ROOT',
      'S3_FORCE_PATH_STYLE',
      'DDINIT_WEBHOOK_SECRET',
    ]);
    expect(message).toContain('DDINIT_API_KEYS: entry 1 must be key:tenant');
  });

  it('requires API keys, and both AWS credentials or neither', () => {
    expect(errorOf({})).toMatch(/DDINIT_API_KEYS: /);
    expect(errorOf({ DDINIT_API_KEYS: KEYS, AWS_ACCESS_KEY_ID: 'AKIA' })).toContain(
      'AWS_SECRET_ACCESS_KEY: set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither',
    );
  });

  it('reads S3 settings when any bucket is allowed, and booleans strictly', () => {
    const config = loadConfig({
      DDINIT_API_KEYS: KEYS,
      DDINIT_ALLOWED_BUCKETS: 'models, outputs',
      S3_ENDPOINT: 'http://minio:9000',
      S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: 'AKIA',
      AWS_SECRET_ACCESS_KEY: 'secret',
      DDINIT_BACKGROUND: 'false',
      DDINIT_FILE_ROOT: '/data/../data/ddinit/',
      PORT: '',
    });
    expect(config.allowedBuckets).toEqual(['models', 'outputs']);
    expect(config.s3).toEqual({
      endpoint: 'http://minio:9000',
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIA', secretAccessKey: 'secret' },
    });
    expect(config.background).toBe(false);
    expect(config.fileRoot).toBe('/data/ddinit');
    expect(config.port).toBe(8080);
    expect(loadConfig({ DDINIT_API_KEYS: KEYS, DDINIT_ALLOWED_BUCKETS: '*' }).allowedBuckets).toBe('*');
  });

  it('reads the rate limit, with off and 0 disabling it', () => {
    const limit = (value: string) =>
      loadConfig({ DDINIT_API_KEYS: KEYS, DDINIT_RATE_LIMIT: value }).rateLimit;
    expect(limit('100')).toEqual({ max: 100, windowSeconds: 60 });
    expect(limit('off')).toEqual({ max: 0, windowSeconds: 60 });
    expect(limit('0')).toEqual({ max: 0, windowSeconds: 60 });
    expect(
      loadConfig({ DDINIT_API_KEYS: KEYS, DDINIT_RATE_LIMIT_WINDOW_S: '10' }).rateLimit?.windowSeconds,
    ).toBe(10);
    expect(errorOf({ DDINIT_API_KEYS: KEYS, DDINIT_RATE_LIMIT: '-1' })).toContain(
      'DDINIT_RATE_LIMIT: must be a whole number of requests, or off',
    );
    expect(errorOf({ DDINIT_API_KEYS: KEYS, DDINIT_RATE_LIMIT_WINDOW_S: '0' })).toMatch(
      /DDINIT_RATE_LIMIT_WINDOW_S: /,
    );
  });

  it('reads per-tenant buckets and refuses ones outside DDINIT_ALLOWED_BUCKETS', () => {
    const config = loadConfig({
      DDINIT_API_KEYS: KEYS,
      DDINIT_ALLOWED_BUCKETS: 'shared,acme-data,globex-data',
      DDINIT_TENANT_BUCKETS: 'acme=acme-data|shared, globex=globex-data',
    });
    expect(config.tenantBuckets).toEqual({ acme: ['acme-data', 'shared'], globex: ['globex-data'] });
    expect(
      errorOf({
        DDINIT_API_KEYS: KEYS,
        DDINIT_ALLOWED_BUCKETS: 'shared',
        DDINIT_TENANT_BUCKETS: 'acme=other',
      }),
    ).toContain('DDINIT_TENANT_BUCKETS: tenant "acme" names "other", not in DDINIT_ALLOWED_BUCKETS');
    expect(errorOf({ DDINIT_API_KEYS: KEYS, DDINIT_TENANT_BUCKETS: 'acme' })).toContain(
      'DDINIT_TENANT_BUCKETS: entry 1 must be tenant=bucket|bucket',
    );
    expect(errorOf({ DDINIT_API_KEYS: KEYS, DDINIT_TENANT_BUCKETS: 'a=b1x|Bad_Bucket' })).toContain(
      '"Bad_Bucket" is not an S3 bucket name',
    );
    expect(errorOf({ DDINIT_API_KEYS: KEYS, DDINIT_TENANT_BUCKETS: 'a=abc,a=def' })).toContain(
      'tenant "a" is listed twice',
    );
    // Any bucket is allowed server-wide: a tenant list narrows it.
    expect(
      loadConfig({ DDINIT_API_KEYS: KEYS, DDINIT_ALLOWED_BUCKETS: '*', DDINIT_TENANT_BUCKETS: 'a=abc' })
        .tenantBuckets,
    ).toEqual({ a: ['abc'] });
  });

  it('reads the body limit and the private-webhook switch strictly', () => {
    const config = loadConfig({
      DDINIT_API_KEYS: KEYS,
      DDINIT_MAX_BODY_BYTES: '1048576',
      DDINIT_WEBHOOK_ALLOW_PRIVATE: 'true',
    });
    expect([config.maxBodyBytes, config.webhookAllowPrivate]).toEqual([1_048_576, true]);
    expect(errorOf({ DDINIT_API_KEYS: KEYS, DDINIT_MAX_BODY_BYTES: '10' })).toMatch(
      /DDINIT_MAX_BODY_BYTES: /,
    );
    expect(errorOf({ DDINIT_API_KEYS: KEYS, DDINIT_WEBHOOK_ALLOW_PRIVATE: 'yes' })).toMatch(
      /DDINIT_WEBHOOK_ALLOW_PRIVATE: /,
    );
  });
});
