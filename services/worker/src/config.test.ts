import { DEFAULT_LIMITS } from '@ddinit/contracts';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    expect(loadConfig({})).toEqual({
      redisUrl: 'redis://127.0.0.1:6379',
      queuePrefix: 'bull',
      storage: { s3: { region: 'us-east-1', forcePathStyle: false }, allowedBuckets: [] },
      backend: 'auto',
      jobTimeoutMs: 3_600_000,
      lockMs: 60_000,
      shutdownGraceMs: 25_000,
      limits: DEFAULT_LIMITS,
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      REDIS_URL: 'rediss://user:pw@redis.internal:6380/2',
      DDINIT_QUEUE_PREFIX: 'ddinit-prod',
      S3_ENDPOINT: 'http://minio:9000',
      S3_REGION: 'eu-west-1',
      S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: 'AKIA',
      AWS_SECRET_ACCESS_KEY: 'secret',
      DDINIT_ALLOWED_BUCKETS: ' models , datasets,checkpoints ',
      DDINIT_FILE_ROOT: '/srv/data',
      DDINIT_BACKEND: 'wasm',
      DDINIT_JOB_TIMEOUT_S: '90',
      DDINIT_LOCK_MS: '3000',
      DDINIT_SHUTDOWN_GRACE_S: '5',
      WORKER_HEALTH_PORT: '9464',
    });
    expect(config).toEqual({
      redisUrl: 'rediss://user:pw@redis.internal:6380/2',
      queuePrefix: 'ddinit-prod',
      storage: {
        s3: {
          endpoint: 'http://minio:9000',
          region: 'eu-west-1',
          forcePathStyle: true,
          credentials: { accessKeyId: 'AKIA', secretAccessKey: 'secret' },
        },
        allowedBuckets: ['models', 'datasets', 'checkpoints'],
        fileRoot: '/srv/data',
      },
      backend: 'wasm',
      jobTimeoutMs: 90_000,
      lockMs: 3000,
      shutdownGraceMs: 5000,
      healthPort: 9464,
      limits: DEFAULT_LIMITS,
    });
  });

  it('reads the limits, digits grouped or not, and names a bad one', () => {
    const config = loadConfig({
      DDINIT_MAX_MODEL_JSON_BYTES: '1048576',
      DDINIT_MAX_WEIGHT_BYTES: '4_294_967_296',
      DDINIT_MAX_PARAMETERS: '1000000',
      DDINIT_MAX_SAMPLE_IMAGES: '512',
      DDINIT_MAX_PIXELS_PER_IMAGE: '16000000',
      DDINIT_MAX_LISTED_KEYS: '',
    });
    expect(config.limits).toEqual({
      maxModelJsonBytes: 1_048_576,
      maxWeightBytes: 4_294_967_296,
      maxParameters: 1_000_000,
      maxSampleImages: 512,
      maxPixelsPerImage: 16_000_000,
      maxListedKeys: DEFAULT_LIMITS.maxListedKeys,
    });
    expect(() => loadConfig({ DDINIT_MAX_PARAMETERS: '0', DDINIT_MAX_SAMPLE_IMAGES: 'many' })).toThrow(
      'invalid worker configuration:\n' +
        '  DDINIT_MAX_PARAMETERS ("0"): must be at least 1\n' +
        '  DDINIT_MAX_SAMPLE_IMAGES ("many"): must be a number',
    );
  });

  it('takes * for every bucket and empty variables as unset', () => {
    const config = loadConfig({ DDINIT_ALLOWED_BUCKETS: '*', S3_ENDPOINT: '', WORKER_HEALTH_PORT: '' });
    expect(config.storage.allowedBuckets).toBe('*');
    expect(config.storage.s3.endpoint).toBeUndefined();
    expect(config.healthPort).toBeUndefined();
  });

  it('names every bad variable, with its value and the problem, and hides the secret', () => {
    const error = (() => {
      try {
        loadConfig({
          REDIS_URL: 'localhost:6379',
          S3_ENDPOINT: 'minio:9000',
          S3_FORCE_PATH_STYLE: 'yes please',
          AWS_SECRET_ACCESS_KEY: 'hunter2',
          DDINIT_ALLOWED_BUCKETS: 'good,Bad_Bucket',
          DDINIT_FILE_ROOT: 'relative/dir',
          DDINIT_BACKEND: 'gpu',
          DDINIT_JOB_TIMEOUT_S: '0',
          DDINIT_LOCK_MS: '2.5',
          WORKER_HEALTH_PORT: '70000',
        });
      } catch (caught) {
        return caught as Error & { code?: string };
      }
      throw new Error('expected loadConfig to throw');
    })();
    expect(error.code).toBe('config_invalid');
    const lines = error.message.split('\n');
    expect(lines[0]).toBe('invalid worker configuration:');
    const named = lines.slice(1).map((line) => /^\s*(\w+)/.exec(line)?.[1]);
    expect(named.sort()).toEqual(
      [
        'AWS_ACCESS_KEY_ID',
        'DDINIT_ALLOWED_BUCKETS',
        'DDINIT_BACKEND',
        'DDINIT_FILE_ROOT',
        'DDINIT_JOB_TIMEOUT_S',
        'DDINIT_LOCK_MS',
        'REDIS_URL',
        'S3_ENDPOINT',
        'S3_FORCE_PATH_STYLE',
        'WORKER_HEALTH_PORT',
      ].sort(),
    );
    expect(error.message).toContain('REDIS_URL ("localhost:6379"): must be a redis:// or rediss:// URL');
    expect(error.message).toContain('S3_FORCE_PATH_STYLE ("yes please"): must be true or false');
    expect(error.message).toContain('AWS_ACCESS_KEY_ID: must be set together with AWS_SECRET_ACCESS_KEY');
    expect(error.message).not.toContain('hunter2');
  });
});
