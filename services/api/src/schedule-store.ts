/**
 * Schedule records: what a tenant asked for, kept beside the BullMQ job scheduler that fires it. The
 * scheduler holds only the schedule's id; templates live here, so the fan-out reads the current ones.
 */
import { JobSpec } from '@ddinit/contracts';
import type { JobStore } from '@ddinit/queue';
import type { Redis } from 'ioredis';
import { z } from 'zod';

export const ScheduleRecord = z.object({
  id: z.string(),
  tenant: z.string(),
  name: z.string().optional(),
  cron: z.string().optional(),
  every: z.int().optional(),
  tz: z.string().optional(),
  templates: z.array(JobSpec),
  createdAt: z.iso.datetime(),
});
export type ScheduleRecord = z.infer<typeof ScheduleRecord>;

/** The BullMQ job scheduler of a schedule; the tenant is part of it so ids never collide across tenants. */
export function schedulerId(record: Pick<ScheduleRecord, 'tenant' | 'id'>): string {
  return `${record.tenant}/${record.id}`;
}

export class ScheduleStore {
  constructor(
    private readonly redis: Redis,
    private readonly jobs: JobStore,
  ) {}

  private recordKey(id: string): string {
    return this.jobs.key('schedule', id);
  }

  private tenantIndex(tenant: string): string {
    return this.jobs.key('tenant', tenant, 'schedules');
  }

  async create(record: ScheduleRecord): Promise<void> {
    await this.redis
      .multi()
      .set(this.recordKey(record.id), JSON.stringify(record))
      .zadd(this.tenantIndex(record.tenant), Date.parse(record.createdAt), record.id)
      .exec();
  }

  async get(id: string): Promise<ScheduleRecord | undefined> {
    const json = await this.redis.get(this.recordKey(id));
    return json ? ScheduleRecord.parse(JSON.parse(json)) : undefined;
  }

  /** The tenant's schedules, newest first. Schedules are few per tenant, so there is no pagination. */
  async list(tenant: string): Promise<ScheduleRecord[]> {
    const ids = await this.redis.zrange(this.tenantIndex(tenant), '0', '999', 'REV');
    if (ids.length === 0) return [];
    const values = await this.redis.mget(ids.map((id) => this.recordKey(id)));
    return values.flatMap((json) => (json ? [ScheduleRecord.parse(JSON.parse(json))] : []));
  }

  async delete(record: ScheduleRecord): Promise<void> {
    await this.redis
      .multi()
      .del(this.recordKey(record.id))
      .zrem(this.tenantIndex(record.tenant), record.id)
      .exec();
  }
}
