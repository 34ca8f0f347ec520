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
import type { ScheduleStore } from './schedule-store.js';

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
  logger: FastifyBaseLogger;
}

/**
 * Creates the jobs of one firing. Their ids derive from the firing job's id and the template index,
 * so a firing retried after a crash half-way creates only the jobs still missing.
 */
export async function fire(
  job: Job<ScheduleFiring>,
  schedules: ScheduleStore,
  jobs: JobService,
): Promise<number> {
  const schedule = await schedules.get(job.data.scheduleId);
  // A firing that raced the schedule's deletion creates nothing.
  if (!schedule || schedule.tenant !== job.data.tenant) return 0;
  for (const [index, template] of schedule.templates.entries()) {
    await jobs.create(schedule.tenant, template, {
      id: derivedId('j', job.id ?? '', String(index)),
      scheduleId: schedule.id,
    });
  }
  return schedule.templates.length;
}

export function startScheduleRunner(options: ScheduleRunnerOptions): Worker<ScheduleFiring, number> {
  const worker = new Worker<ScheduleFiring, number>(
    SCHEDULE_QUEUE,
    (job) => fire(job, options.schedules, options.jobs),
    { connection: options.connection, prefix: options.prefix, concurrency: 4 },
  );
  worker.on('failed', (job, error) =>
    options.logger.warn({ scheduleId: job?.data.scheduleId, err: error }, 'schedule firing failed'),
  );
  worker.on('error', (error) => options.logger.warn({ err: error }, 'schedule runner error'));
  return worker;
}
