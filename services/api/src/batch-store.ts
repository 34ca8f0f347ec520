/**
 * Batch records: the jobs one POST /v1/batches created, kept as long as the jobs' own records, and
 * each tenant's index of them, newest first.
 */
import { indexMember, type JobStore } from '@ddinit/queue';
import type { Redis } from 'ioredis';
import { z } from 'zod';

export const BatchRecord = z.object({
  id: z.string(),
  tenant: z.string(),
  createdAt: z.iso.datetime(),
  jobIds: z.array(z.string()),
});
export type BatchRecord = z.infer<typeof BatchRecord>;

export class BatchStore {
  constructor(
    private readonly redis: Redis,
    private readonly jobs: JobStore,
  ) {}

  private recordKey(id: string): string {
    return this.jobs.key('batch', id);
  }

  private tenantIndex(tenant: string): string {
    return this.jobs.key('tenant', tenant, 'batches');
  }

  /** Writes the record and indexes it; index entries of records that expired meanwhile are dropped. */
  async create(record: BatchRecord): Promise<void> {
    const ttl = this.jobs.recordTtlSeconds;
    const index = this.tenantIndex(record.tenant);
    await this.redis
      .multi()
      .set(this.recordKey(record.id), JSON.stringify(record), 'EX', ttl)
      .zadd(index, 0, indexMember(record.createdAt, record.id))
      .zremrangebylex(index, '-', `(${this.jobs.expiredBefore(record.createdAt)}`)
      .expire(index, ttl)
      .exec();
  }

  async get(id: string): Promise<BatchRecord | undefined> {
    const json = await this.redis.get(this.recordKey(id));
    return json ? BatchRecord.parse(JSON.parse(json)) : undefined;
  }

  /**
   * Up to `count` of the tenant's batches, newest first, strictly after the index position `before`,
   * and the position to continue from when there are more.
   */
  async page(
    tenant: string,
    options: { before?: string; count: number },
  ): Promise<{ records: BatchRecord[]; next?: string }> {
    const index = this.tenantIndex(tenant);
    const entries = await this.jobs.page(index, { ...options, count: options.count + 1 });
    const shown = entries.slice(0, options.count);
    if (shown.length === 0) return { records: [] };
    const values = await this.redis.mget(shown.map((entry) => this.recordKey(entry.id)));
    await this.jobs.prune(
      index,
      shown.filter((_, i) => !values[i]).map((entry) => entry.member),
    );
    const records = values.flatMap((json) => (json ? [BatchRecord.parse(JSON.parse(json))] : []));
    const last = shown.at(-1)?.member;
    return {
      records: records.filter((record) => record.tenant === tenant),
      ...(entries.length > options.count && last ? { next: last } : {}),
    };
  }
}
