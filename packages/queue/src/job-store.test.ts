import { randomBytes } from 'node:crypto';
import { JobSpec } from '@ddinit/contracts';
import { Redis } from 'ioredis';
import { JobStore } from './job-store.js';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = `ddtest-store-${randomBytes(4).toString('hex')}`;
const store = new JobStore(redis, { prefix, recordTtlSeconds: 600 });
const spec = JobSpec.parse({
  model: { uri: 's3://mdl/model.json' },
  dataset: { uri: 's3://mdl/images/' },
  output: { uri: 's3://mdl/out/' },
  labels: { team: 'vision' },
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe('JobStore', () => {
  it("creates a record once; a second create reports the first one's request hash", async () => {
    const record = {
      id: 'j_a',
      tenant: 't1',
      spec,
      createdAt: '2026-11-27T10:00:00.000Z',
      requestHash: 'h1',
    };
    expect(await store.create(record)).toEqual({ created: true });
    expect(await store.create({ ...record, requestHash: 'h2' })).toEqual({
      created: false,
      requestHash: 'h1',
    });
    expect(await store.get('j_a')).toEqual(record);
    expect(await redis.ttl(store.recordKey('j_a'))).toBeGreaterThan(590);
  });

  it('sets cancel and outcome fields once, and never on a missing record', async () => {
    await store.create({ id: 'j_b', tenant: 't1', spec, createdAt: '2026-11-27T10:00:01.000Z' });
    expect(await store.isCancelRequested('j_b')).toBe(false);
    expect(await store.requestCancel('j_b', '2026-11-27T10:01:00.000Z')).toBe(true);
    expect(await store.requestCancel('j_b', '2026-11-27T10:02:00.000Z')).toBe(false);
    expect(await store.isCancelRequested('j_b')).toBe(true);
    const outcome = {
      status: 'failed' as const,
      startedAt: null,
      finishedAt: '2026-11-27T10:03:00.000Z',
      attempts: 1,
    };
    expect(await store.recordOutcome('j_b', outcome)).toBe(true);
    expect(await store.recordOutcome('j_b', { ...outcome, attempts: 2 })).toBe(false);
    expect((await store.get('j_b'))?.outcome).toEqual(outcome);
    expect(await store.requestCancel('j_missing', '2026-11-27T10:01:00.000Z')).toBe(false);
    expect(await redis.exists(store.recordKey('j_missing'))).toBe(0);
  });

  it('pages an index newest first and continues after a position', async () => {
    for (let i = 0; i < 3; i++) {
      await store.create({ id: `j_p${i}`, tenant: 't2', spec, createdAt: `2026-11-27T11:00:0${i}.000Z` });
    }
    const first = await store.page(store.tenantIndex('t2'), { count: 2 });
    expect(first.map((entry) => entry.id)).toEqual(['j_p2', 'j_p1']);
    const rest = await store.page(store.tenantIndex('t2'), { before: first[1]!.member, count: 2 });
    expect(rest.map((entry) => entry.id)).toEqual(['j_p0']);
    const labelled = await store.page(store.labelIndex('t2', 'team', 'vision'), { count: 10 });
    expect(labelled).toHaveLength(3);
    expect(await store.page(store.labelIndex('t2', 'team', 'speech'), { count: 10 })).toEqual([]);
  });
});
