/**
 * The one queue of initialization jobs. The API adds to it, workers take from it; both import these
 * names, the job data schema and the default options from here so they cannot drift apart.
 */
import { JobSpec } from '@ddinit/contracts';
import type { JobsOptions } from 'bullmq';
import { z } from 'zod';

/** BullMQ queue name. Changing it orphans every job already queued. */
export const INIT_QUEUE = 'ddinit-init';
/** BullMQ job name of an initialization. */
export const INIT_JOB = 'initialize';

/**
 * What a job carries in Redis: the validated spec and who asked. URIs and options only, never
 * credentials: the worker resolves storage access from its own configuration.
 */
export const InitJobData = z.object({
  spec: JobSpec,
  tenant: z.string().min(1),
  submittedAt: z.iso.datetime(),
  /** The schedule or batch that created the job, if any. */
  scheduleId: z.string().optional(),
  batchId: z.string().optional(),
});
export type InitJobData = z.infer<typeof InitJobData>;

/**
 * Defaults for every init job.
 * - `attempts`: transient failures (S3 hiccups, a killed worker) are retried; bad input fails at once
 *   through UnrecoverableError whatever this says.
 * - Retention bounds Redis memory; a job's id stops deduplicating once it is removed.
 */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 2_000, jitter: 0.5 },
  removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
  removeOnFail: { age: 14 * 24 * 3600, count: 50_000 },
};
