import { z } from 'zod';
import { JobSpec, JobStatus } from './job.js';

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * POST /v1/schedules: each firing creates one job per template. Give either `cron` (with `tz`) or
 * `every` (milliseconds).
 */
export const ScheduleSpec = z
  .object({
    name: z.string().min(1).max(200).optional(),
    /** A 5- or 6-field cron pattern, evaluated in `tz`. */
    cron: z.string().min(1).max(200).optional(),
    /** Interval in milliseconds instead of a cron pattern. */
    every: z
      .int()
      .min(1_000)
      .max(366 * 24 * 3600 * 1000)
      .optional(),
    /** IANA time zone of `cron`. @defaultValue 'UTC' */
    tz: z
      .string()
      .min(1)
      .max(64)
      .refine(isTimeZone, 'must be an IANA time zone such as Europe/Paris')
      .optional(),
    templates: z.array(JobSpec).min(1).max(100),
  })
  .strict()
  .superRefine((spec, ctx) => {
    if ((spec.cron === undefined) === (spec.every === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['cron'], message: 'give exactly one of cron and every' });
    }
    if (spec.tz !== undefined && spec.cron === undefined) {
      ctx.addIssue({ code: 'custom', path: ['tz'], message: 'tz applies to cron only' });
    }
  });
export type ScheduleSpec = z.infer<typeof ScheduleSpec>;
export type ScheduleSpecInput = z.input<typeof ScheduleSpec>;

/** A job a schedule created, newest first. */
export const ScheduleRun = z.object({ id: z.string(), status: JobStatus, createdAt: z.iso.datetime() });
export type ScheduleRun = z.infer<typeof ScheduleRun>;

export const ScheduleView = z.object({
  id: z.string(),
  name: z.string().nullable(),
  cron: z.string().nullable(),
  every: z.int().nullable(),
  tz: z.string().nullable(),
  templates: z.array(JobSpec),
  createdAt: z.iso.datetime(),
  /** When the next firing is due, as the queue's scheduler knows it. */
  nextRunAt: z.iso.datetime().nullable(),
  /** GET /v1/schedules/:id only: the most recent jobs the schedule created. */
  recentJobs: z.array(ScheduleRun).optional(),
});
export type ScheduleView = z.infer<typeof ScheduleView>;

export const ScheduleList = z.object({ items: z.array(ScheduleView) });
export type ScheduleList = z.infer<typeof ScheduleList>;
