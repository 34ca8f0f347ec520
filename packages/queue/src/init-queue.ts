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
 * How long BullMQ keeps finished init jobs. Job views read the API's own records, which hold the
 * outcome once the notifier has seen it, so this only needs to outlast the notifier's reading of the
 * job; it bounds the queue's share of Redis memory.
 */
export interface JobRetention {
  /** Seconds a succeeded job stays in BullMQ. @defaultValue 604_800 (7 days) */
  completedSeconds: number;
  /** Seconds a job that failed for good stays in BullMQ. @defaultValue 1_209_600 (14 days) */
  failedSeconds: number;
}

export const DEFAULT_JOB_RETENTION: JobRetention = {
  completedSeconds: 7 * 24 * 3600,
  failedSeconds: 14 * 24 * 3600,
};

/** Most finished jobs BullMQ keeps whatever their age, so a burst cannot outgrow Redis before ages run out. */
const MAX_KEPT = { completed: 10_000, failed: 50_000 } as const;

/** Runs a job gets for transient failures; a worker that dies under a job counts as one. */
export const INIT_JOB_ATTEMPTS = 3;

/**
 * Options for every init job.
 * - `attempts`: transient failures (S3 hiccups, a killed worker) are retried; bad input fails at once
 *   through UnrecoverableError whatever this says.
 * - Retention bounds Redis memory; a job's id stops deduplicating once it is removed.
 */
export function initJobOptions(retention: JobRetention = DEFAULT_JOB_RETENTION): JobsOptions {
  return {
    attempts: INIT_JOB_ATTEMPTS,
    backoff: { type: 'exponential', delay: 2_000, jitter: 0.5 },
    removeOnComplete: { age: retention.completedSeconds, count: MAX_KEPT.completed },
    removeOnFail: { age: retention.failedSeconds, count: MAX_KEPT.failed },
  };
}

/** `initJobOptions()` with the default retention. */
export const DEFAULT_JOB_OPTIONS: JobsOptions = initJobOptions();
