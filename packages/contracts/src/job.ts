import { z } from 'zod';
import { InitOptions, LayerSelection } from './init-options.js';
import { Preprocessing } from './preprocessing.js';
import { InitReport } from './report.js';

/**
 * A storage location: `s3://bucket/key` (bucket names as S3 allows them), or `file:///path` where the
 * deployment allows local files. Which buckets and roots are allowed is checked by the service.
 */
export const StorageUri = z
  .string()
  .max(2048)
  .regex(/^(s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[^\s]*)?|file:\/\/\/[^\s]*)$/, {
    message: 'must be s3://bucket/key or file:///path',
  });
export type StorageUri = z.infer<typeof StorageUri>;

/** Init options a job may set: everything but the sample size, which lives with the dataset. */
export const JobInitOptions = InitOptions.omit({ sample: true, heldOut: true }).partial().extend({
  layers: LayerSelection.partial().optional(),
});
export type JobInitOptions = z.infer<typeof JobInitOptions>;

/** What a client submits: POST /v1/jobs. Job data in Redis holds this and never credentials. */
export const JobSpec = z
  .object({
    model: z
      .object({ uri: StorageUri.describe('model.json of a tfjs layers-model; shards beside it') })
      .strict(),
    dataset: z
      .object({
        uri: StorageUri.describe('a folder (prefix) of JPEG/PNG/WebP images, or a .npy file'),
        /** Images in the initialization sample. @defaultValue 256 */
        sample: z.int().min(2).max(100_000).default(256),
        /** Images held out for the report. @defaultValue 64 */
        heldOut: z.int().min(0).max(100_000).default(64),
        preprocessing: Preprocessing.partial().optional(),
      })
      .strict(),
    init: JobInitOptions.strict().optional(),
    output: z
      .object({ uri: StorageUri.describe('folder (prefix) the checkpoint is written under') })
      .strict(),
    /** 1 (highest) to 100. @defaultValue 50 */
    priority: z.int().min(1).max(100).default(50),
    labels: z
      .record(z.string().regex(/^[a-zA-Z0-9_.-]{1,63}$/), z.string().max(256))
      .refine((labels) => Object.keys(labels).length <= 32, 'at most 32 labels')
      .optional(),
    callback: z
      .object({ url: z.url({ protocol: /^https?$/ }).max(2048) })
      .strict()
      .optional(),
  })
  .strict();
export type JobSpec = z.infer<typeof JobSpec>;
export type JobSpecInput = z.input<typeof JobSpec>;

export const JobStatus = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);
export type JobStatus = z.infer<typeof JobStatus>;

export const JobProgress = z.object({
  phase: z.string(),
  layer: z.int().optional(),
  layers: z.int().optional(),
  /** 0..1, never decreasing. */
  fraction: z.number().min(0).max(1),
});
export type JobProgress = z.infer<typeof JobProgress>;

export const CheckpointFile = z.object({ uri: z.string(), bytes: z.int(), sha256: z.string() });
export type CheckpointFile = z.infer<typeof CheckpointFile>;

export const JobResult = z.object({
  /** URI of the committed model.json. */
  checkpoint: z.string(),
  files: z.array(CheckpointFile),
  report: InitReport,
});
export type JobResult = z.infer<typeof JobResult>;

export const JobError = z.object({ code: z.string(), message: z.string() });
export type JobError = z.infer<typeof JobError>;

/** What GET /v1/jobs/:id returns. */
export const JobView = z.object({
  id: z.string(),
  status: JobStatus,
  spec: JobSpec,
  progress: JobProgress.nullable(),
  createdAt: z.iso.datetime(),
  startedAt: z.iso.datetime().nullable(),
  finishedAt: z.iso.datetime().nullable(),
  attempts: z.int(),
  result: JobResult.optional(),
  error: JobError.optional(),
});
export type JobView = z.infer<typeof JobView>;
