/**
 * Durable per-job records beside the BullMQ queue. BullMQ forgets a job once retention removes it and
 * knows nothing of tenants, so the API keeps its own record of each job: who owns it, the spec, where
 * it came from, the cancel state and, once known, its outcome. Views, tenant checks, listings and
 * idempotency read these records; BullMQ is asked only for live state (progress, attempts).
 */
import { hash } from 'node:crypto';
import { JobError, JobProgress, JobResult, JobSpec } from '@ddinit/contracts';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { LuaScript } from './lua-script.js';

/** Statuses a job never leaves. */
export const FinalStatus = z.enum(['succeeded', 'failed', 'cancelled']);
export type FinalStatus = z.infer<typeof FinalStatus>;

/** The final state of a job, written once when it is first observed. */
export const JobOutcome = z.object({
  status: FinalStatus,
  startedAt: z.iso.datetime().nullable(),
  finishedAt: z.iso.datetime(),
  attempts: z.int(),
  /** The last progress the worker reported, kept so a finished job still shows how far it got. */
  progress: JobProgress.nullable().optional(),
  result: JobResult.optional(),
  error: JobError.optional(),
});
export type JobOutcome = z.infer<typeof JobOutcome>;

export interface JobRecord {
  id: string;
  tenant: string;
  /** The validated spec, defaults filled. */
  spec: JobSpec;
  createdAt: string;
  /** SHA-256 of the canonical request body when the job was created with an Idempotency-Key. */
  requestHash?: string;
  batchId?: string;
  scheduleId?: string;
  /** The job this one retries. */
  retryOf?: string;
  /** Set once the job is in the BullMQ queue; a record without it is still being created. */
  enqueuedAt?: string;
  /** Set when a cancel was asked for while the job may be running. Workers check it before starting. */
  cancelRequestedAt?: string;
  /** Set when the API removed the job from the queue before it started. */
  cancelledAt?: string;
  outcome?: JobOutcome;
}

export type NewJobRecord = Pick<
  JobRecord,
  'id' | 'tenant' | 'spec' | 'createdAt' | 'requestHash' | 'batchId' | 'scheduleId' | 'retryOf'
>;

export type CreateResult = { created: true } | { created: false; requestHash: string | undefined };

export interface JobStoreOptions {
  /**
   * The BullMQ key prefix of the queue; records live under `<prefix>:ddinit:`. Must match the
   * prefix the API and the workers give BullMQ. @defaultValue 'bull'
   */
  prefix?: string;
  /**
   * Seconds a job record lives after creation. It bounds how long views outlive BullMQ's retention and
   * how long an Idempotency-Key is remembered. @defaultValue 2_592_000 (30 days)
   */
  recordTtlSeconds?: number;
}

/** One entry of an index: newest first by creation time, then by id. */
export interface IndexEntry {
  id: string;
  /** Opaque position in the index; pass it back as `before` to continue after this entry. */
  member: string;
}

const CREATE = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {0, redis.call('HGET', KEYS[1], 'requestHash') or ''}
end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('EXPIRE', KEYS[1], ARGV[2])
for i = 2, #KEYS do
  redis.call('ZADD', KEYS[i], 0, ARGV[1])
  redis.call('ZREMRANGEBYLEX', KEYS[i], '-', '(' .. ARGV[3])
  redis.call('EXPIRE', KEYS[i], ARGV[2])
end
return {1, ''}
`);

/** Sets a field once, and only on a record that still exists (a late write must not resurrect one). */
const SET_ONCE = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
return redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
`);

const MEMBER_TIME_DIGITS = 15;

/** The position of an item in an index: newest first by creation time, then by id. */
export function indexMember(createdAt: string, id: string): string {
  return `${String(Date.parse(createdAt)).padStart(MEMBER_TIME_DIGITS, '0')}|${id}`;
}

function idOfMember(member: string): string {
  return member.slice(MEMBER_TIME_DIGITS + 1);
}

/** True for a string this store produced as an index position (checked before it reaches Redis). */
export function isIndexMember(value: string): boolean {
  return /^\d{15}\|[A-Za-z0-9_-]{1,128}$/.test(value);
}

export class JobStore {
  readonly prefix: string;
  readonly recordTtlSeconds: number;

  constructor(
    private readonly redis: Redis,
    options: JobStoreOptions = {},
  ) {
    this.prefix = options.prefix ?? 'bull';
    this.recordTtlSeconds = options.recordTtlSeconds ?? 30 * 24 * 3600;
  }

  /** Redis key of a name under this store's namespace; other API stores share the namespace. */
  key(...parts: string[]): string {
    return [this.prefix, 'ddinit', ...parts].join(':');
  }

  recordKey(id: string): string {
    return this.key('job', id);
  }

  tenantIndex(tenant: string): string {
    return this.key('tenant', tenant, 'jobs');
  }

  /** Label values are free text, so the index key holds a hash of the pair. */
  labelIndex(tenant: string, key: string, value: string): string {
    const pair = hash('sha256', `${key}\u0000${value}`).slice(0, 32);
    return this.key('tenant', tenant, 'label', pair);
  }

  scheduleIndex(scheduleId: string): string {
    return this.key('schedule', scheduleId, 'jobs');
  }

  /**
   * Creates the record unless one with this id exists: the existence check and the write are one
   * atomic step, which is what makes idempotent creation safe under concurrent requests. The record
   * joins its tenant's index, one index per label, and the schedule's index.
   */
  async create(record: NewJobRecord): Promise<CreateResult> {
    const indexes = [this.tenantIndex(record.tenant)];
    for (const [key, value] of Object.entries(record.spec.labels ?? {})) {
      indexes.push(this.labelIndex(record.tenant, key, value));
    }
    if (record.scheduleId) indexes.push(this.scheduleIndex(record.scheduleId));
    const fields: string[] = ['id', record.id, 'tenant', record.tenant, 'spec', JSON.stringify(record.spec)];
    fields.push('createdAt', record.createdAt);
    if (record.requestHash) fields.push('requestHash', record.requestHash);
    if (record.batchId) fields.push('batchId', record.batchId);
    if (record.scheduleId) fields.push('scheduleId', record.scheduleId);
    if (record.retryOf) fields.push('retryOf', record.retryOf);
    const reply = (await CREATE.run(
      this.redis,
      [this.recordKey(record.id), ...indexes],
      [
        indexMember(record.createdAt, record.id),
        this.recordTtlSeconds,
        this.expiredBefore(record.createdAt),
        ...fields,
      ],
    )) as [number, string];
    return reply[0] === 1 ? { created: true } : { created: false, requestHash: reply[1] || undefined };
  }

  /** Index members below this one belong to items whose records expired by `now`. */
  expiredBefore(now: string): string {
    return indexMember(new Date(Date.parse(now) - this.recordTtlSeconds * 1000).toISOString(), '');
  }

  async get(id: string): Promise<JobRecord | undefined> {
    return parseRecord(await this.redis.hgetall(this.recordKey(id)));
  }

  async getMany(ids: readonly string[]): Promise<(JobRecord | undefined)[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.recordKey(id));
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([error, fields]) => {
      if (error) throw error;
      return parseRecord(fields as Record<string, string>);
    });
  }

  async markEnqueued(id: string, at: string): Promise<void> {
    await SET_ONCE.run(this.redis, [this.recordKey(id)], ['enqueuedAt', at]);
  }

  /** Records a cancel request; false if one was already recorded or the record is gone. */
  async requestCancel(id: string, at: string): Promise<boolean> {
    return (await SET_ONCE.run(this.redis, [this.recordKey(id)], ['cancelRequestedAt', at])) === 1;
  }

  async markCancelled(id: string, at: string): Promise<void> {
    await SET_ONCE.run(this.redis, [this.recordKey(id)], ['cancelledAt', at]);
  }

  /** Stores the final state the first time it is observed; later observations keep the first. */
  async recordOutcome(id: string, outcome: JobOutcome): Promise<boolean> {
    return (await SET_ONCE.run(this.redis, [this.recordKey(id)], ['outcome', JSON.stringify(outcome)])) === 1;
  }

  /** For workers: whether the job should not run (cancelled while queued, or a cancel was requested). */
  async isCancelRequested(id: string): Promise<boolean> {
    const [requested, cancelled] = await this.redis.hmget(
      this.recordKey(id),
      'cancelRequestedAt',
      'cancelledAt',
    );
    return requested !== null || cancelled !== null;
  }

  /** Up to `count` entries of an index, newest first, strictly after `before` when given. */
  async page(index: string, options: { before?: string; count: number }): Promise<IndexEntry[]> {
    const max = options.before === undefined ? '+' : `(${options.before}`;
    const members = await this.redis.zrange(index, max, '-', 'BYLEX', 'REV', 'LIMIT', 0, options.count);
    return members.map((member) => ({ id: idOfMember(member), member }));
  }

  /** Drops index entries whose records expired. */
  async prune(index: string, members: readonly string[]): Promise<void> {
    if (members.length > 0) await this.redis.zrem(index, ...members);
  }
}

function parseRecord(fields: Record<string, string>): JobRecord | undefined {
  if (!fields.id || !fields.tenant || !fields.spec || !fields.createdAt) return undefined;
  const record: JobRecord = {
    id: fields.id,
    tenant: fields.tenant,
    spec: JobSpec.parse(JSON.parse(fields.spec)),
    createdAt: fields.createdAt,
  };
  if (fields.requestHash) record.requestHash = fields.requestHash;
  if (fields.batchId) record.batchId = fields.batchId;
  if (fields.scheduleId) record.scheduleId = fields.scheduleId;
  if (fields.retryOf) record.retryOf = fields.retryOf;
  if (fields.enqueuedAt) record.enqueuedAt = fields.enqueuedAt;
  if (fields.cancelRequestedAt) record.cancelRequestedAt = fields.cancelRequestedAt;
  if (fields.cancelledAt) record.cancelledAt = fields.cancelledAt;
  if (fields.outcome) record.outcome = JobOutcome.parse(JSON.parse(fields.outcome));
  return record;
}
