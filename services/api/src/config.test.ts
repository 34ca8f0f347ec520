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
      logLevel: 'info',
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
});
