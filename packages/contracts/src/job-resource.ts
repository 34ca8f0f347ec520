import { z } from 'zod';
import { JobStatus, JobView } from './job.js';
import { PageQuery, pageOf } from './page.js';

/**
 * A job as the API shows it: the shared JobView plus where the job came from and whether someone asked
 * to cancel it. Extra fields only, so a JobView reader can read it.
 */
export const JobResource = JobView.extend({
  /** The batch that created the job (POST /v1/batches). */
  batchId: z.string().optional(),
  /** The schedule whose firing created the job (POST /v1/schedules). */
  scheduleId: z.string().optional(),
  /** The failed or cancelled job this one retries (POST /v1/jobs/:id/retry). */
  retryOf: z.string().optional(),
  /** When a cancel was requested; a running job stays `running` until the worker stops it. */
  cancelRequestedAt: z.iso.datetime().nullable(),
});
export type JobResource = z.infer<typeof JobResource>;

/** A label filter `key:value`; the key follows JobSpec's label key rule. */
export const LabelFilter = z.string().regex(/^[a-zA-Z0-9_.-]{1,63}:[\s\S]{0,256}$/, {
  message: 'must be key:value with a label key of [a-zA-Z0-9_.-]',
});

/** GET /v1/jobs query: newest first, optionally one status or label. */
export const JobListQuery = z
  .object({ status: JobStatus.optional(), label: LabelFilter.optional(), ...PageQuery.shape })
  .strict();
export type JobListQuery = z.infer<typeof JobListQuery>;

/**
 * With a status filter a page may hold fewer than `limit` jobs and still have a next page (the scan per
 * request is bounded).
 */
export const JobList = pageOf(JobResource);
export type JobList = z.infer<typeof JobList>;

/** GET /v1/jobs/:id/logs: the lines the worker logged through job.log, oldest first. */
export const JobLogs = z.object({ lines: z.array(z.string()), count: z.int() });
export type JobLogs = z.infer<typeof JobLogs>;

/** GET /v1/jobs/:id/download: short-lived presigned GET URLs of the checkpoint's s3:// files. */
export const JobDownload = z.object({
  expiresAt: z.iso.datetime(),
  files: z.array(z.object({ uri: z.string(), url: z.string(), bytes: z.int(), sha256: z.string() })),
});
export type JobDownload = z.infer<typeof JobDownload>;

/** Event types a completion webhook carries. */
export const WebhookEventType = z.enum(['job.succeeded', 'job.failed', 'job.cancelled']);
export type WebhookEventType = z.infer<typeof WebhookEventType>;

/**
 * The body of a completion webhook, in the Standard Webhooks envelope. It is signed with the
 * `webhook-id`, `webhook-timestamp` and `webhook-signature` headers.
 */
export const WebhookEvent = z.object({
  type: WebhookEventType,
  timestamp: z.iso.datetime(),
  data: JobResource,
});
export type WebhookEvent = z.infer<typeof WebhookEvent>;
