/** Batch records: the jobs one POST /v1/batches created, kept as long as the jobs' own records. */
import type { JobStore } from '@ddinit/queue';
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

  async create(record: BatchRecord): Promise<void> {
    await this.redis.set(this.recordKey(record.id), JSON.stringify(record), 'EX', this.jobs.recordTtlSeconds);
  }

  async get(id: string): Promise<BatchRecord | undefined> {
    const json = await this.redis.get(this.recordKey(id));
    return json ? BatchRecord.parse(JSON.parse(json)) : undefined;
  }
}
