/**
 * How schedules fire. Each schedule is one BullMQ job scheduler on a small queue of its own; every
 * firing is a tiny "fan-out" job that a worker inside the API turns into one init job per template.
 * Why not a scheduler per template on the init queue: BullMQ produces a scheduler's next job only
 * when the previous one starts, so firings would wait for GPU workers; scheduler-made jobs have ids
 * with `:` and no job record; and templates could not change without re-creating schedulers.
 */
import { type Job, Worker } from 'bullmq';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import { derivedId } from './ids.js';
import type { JobService } from './job-service.js';
import type { ApiMetrics } from './metrics.js';
import type { ScheduleStore } from './schedule-store.js';
import { type SpecPolicy, specErrors } from './spec-policy.js';

/** BullMQ queue of schedule firings. Changing it orphans every scheduler already created. */
export const SCHEDULE_QUEUE = 'ddinit-schedules';
/** Job name of one firing. */
export const SCHEDULE_FIRING = 'fire';

export interface ScheduleFiring {
  scheduleId: string;
  tenant: string;
}

/** Options of firing jobs: few kept, retried a little (creation is idempotent, so a retry is safe). */
export const FIRING_JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { count: 100 },
  removeOnFail: { count: 1_000 },
} as const;

export interface ScheduleRunnerOptions {
  connection: Redis;
  prefix: string;
  schedules: ScheduleStore;
  jobs: JobService;
  /** What jobs may touch now; checked again at every firing. */
  policy: SpecPolicy;
  /** Counts refused templates among job failures. */
  metrics: ApiMetrics;
  logger: FastifyBaseLogger;
}

/**
 * Creates the jobs of one firing. Their ids derive from the firing job's id and the template index,
 * so a firing retried after a crash half-way creates only the jobs still missing. Each template is
 * checked against the policy of now, not of when the schedule was made: a template that names a
 * bucket, root or callback no longer allowed becomes a job that failed with `spec_not_allowed`, listed
 * under the schedule, never queued.
 */
export async function fire(
  job: Job<ScheduleFiring>,
  { schedules, jobs, policy, metrics, logger }: Omit<ScheduleRunnerOptions, 'connection' | 'prefix'>,
): Promise<number> {
  const schedule = await schedules.get(job.data.scheduleId);
  // A firing that raced the schedule's deletion creates nothing.
  if (!schedule || schedule.tenant !== job.data.tenant) return 0;
  for (const [index, template] of schedule.templates.entries()) {
    const options = { id: derivedId('j', job.id ?? '', String(index)), scheduleId: schedule.id };
    const errors = await specErrors(template, policy, schedule.tenant, `templates.${index}`);
    if (errors.length === 0) {
      await jobs.create(schedule.tenant, template, options);
      continue;
    }
    const reasons = errors.map((error) => `${error.path}: ${error.message}`).join('; ');
    logger.warn({ scheduleId: schedule.id, errors }, 'schedule template refused by the policy');
    const code = 'spec_not_allowed';
    const { created } = await jobs.refuse(schedule.tenant, template, options, {
      code,
      message: `schedule ${schedule.id}'s template is no longer allowed here: ${reasons}`,
    });
    if (created) metrics.jobFailures.inc({ code });
  }
  return schedule.templates.length;
}

export function startScheduleRunner(options: ScheduleRunnerOptions): Worker<ScheduleFiring, number> {
  const worker = new Worker<ScheduleFiring, number>(SCHEDULE_QUEUE, (job) => fire(job, options), {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: 4,
  });
  worker.on('failed', (job, error) =>
    options.logger.warn({ scheduleId: job?.data.scheduleId, err: error }, 'schedule firing failed'),
  );
  worker.on('error', (error) => options.logger.warn({ err: error }, 'schedule runner error'));
  return worker;
}
