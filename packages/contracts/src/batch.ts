import { z } from 'zod';
import { JobSpec } from './job.js';
import { PageQuery, pageOf } from './page.js';

/** POST /v1/batches: many jobs in one request, validated together (one bad spec refuses them all). */
export const BatchSpec = z.object({ jobs: z.array(JobSpec).min(1).max(500) }).strict();
export type BatchSpec = z.infer<typeof BatchSpec>;
export type BatchSpecInput = z.input<typeof BatchSpec>;

export const StatusCounts = z.object({
  queued: z.int(),
  running: z.int(),
  succeeded: z.int(),
  failed: z.int(),
  cancelled: z.int(),
});
export type StatusCounts = z.infer<typeof StatusCounts>;

export const BatchView = z.object({
  id: z.string(),
  createdAt: z.iso.datetime(),
  total: z.int(),
  counts: StatusCounts,
  jobIds: z.array(z.string()),
});
export type BatchView = z.infer<typeof BatchView>;

/** GET /v1/batches: one entry of the tenant's batches; its counts are at GET /v1/batches/:id. */
export const BatchSummary = BatchView.pick({ id: true, createdAt: true, total: true });
export type BatchSummary = z.infer<typeof BatchSummary>;

export const BatchListQuery = PageQuery.strict();
export type BatchListQuery = z.infer<typeof BatchListQuery>;

export const BatchList = pageOf(BatchSummary);
export type BatchList = z.infer<typeof BatchList>;
