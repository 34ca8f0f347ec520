import { type FieldError, ScheduleList, ScheduleSpec, ScheduleView } from '@ddinit/contracts';
import type { JobStore } from '@ddinit/queue';
import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import type { Queue } from 'bullmq';
import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import { newId } from '../ids.js';
import type { JobService } from '../job-service.js';
import { problem } from '../problems.js';
import { FIRING_JOB_OPTIONS, SCHEDULE_FIRING, type ScheduleFiring } from '../schedule-runner.js';
import { type ScheduleRecord, type ScheduleStore, schedulerId } from '../schedule-store.js';
import { type SpecPolicy, specErrors } from '../spec-policy.js';
import { AUTHED, assertNoFieldErrors, IdParams, problemResponses } from './common.js';

export interface ScheduleRoutesOptions {
  schedules: ScheduleStore;
  /** The queue of schedule firings (see schedule-runner.ts). */
  firings: Queue<ScheduleFiring>;
  jobs: JobService;
  store: JobStore;
  policy: SpecPolicy;
}

/** Jobs shown under GET /v1/schedules/:id. */
const RECENT_JOBS = 20;

function cronError(cron: string, tz: string): FieldError | undefined {
  try {
    CronExpressionParser.parse(cron, { tz });
    return undefined;
  } catch (error) {
    return { path: 'body.cron', message: `not a valid cron pattern: ${(error as Error).message}` };
  }
}

export const scheduleRoutes: FastifyPluginAsyncZod<ScheduleRoutesOptions> = async (app, options) => {
  const { schedules, firings, jobs, store, policy } = options;

  async function own(tenant: string, id: string): Promise<ScheduleRecord> {
    const record = await schedules.get(id);
    if (!record || record.tenant !== tenant) throw problem('schedule_not_found', `no schedule ${id}`);
    return record;
  }

  async function viewOf(record: ScheduleRecord): Promise<ScheduleView> {
    const scheduler = await firings.getJobScheduler(schedulerId(record));
    return {
      id: record.id,
      name: record.name ?? null,
      cron: record.cron ?? null,
      every: record.every ?? null,
      tz: record.cron ? (record.tz ?? 'UTC') : null,
      templates: record.templates,
      createdAt: record.createdAt,
      nextRunAt: scheduler?.next ? new Date(scheduler.next).toISOString() : null,
    };
  }

  app.post(
    '/schedules',
    {
      schema: {
        tags: ['schedules'],
        summary: 'Create a recurring schedule',
        description: 'Each firing creates one job per template. Give either cron (with tz) or every (ms).',
        body: ScheduleSpec,
        response: { 201: ScheduleView, ...problemResponses(400, ...AUTHED) },
      },
    },
    async (request, reply) => {
      const spec = request.body;
      const errors = (
        await Promise.all(
          spec.templates.map((template, i) =>
            specErrors(template, policy, request.tenant, `body.templates.${i}`),
          ),
        )
      ).flat();
      const badCron = spec.cron === undefined ? undefined : cronError(spec.cron, spec.tz ?? 'UTC');
      assertNoFieldErrors(badCron ? [badCron, ...errors] : errors);
      const record: ScheduleRecord = {
        id: newId('s'),
        tenant: request.tenant,
        ...(spec.name ? { name: spec.name } : {}),
        ...(spec.cron ? { cron: spec.cron, tz: spec.tz ?? 'UTC' } : {}),
        ...(spec.every ? { every: spec.every } : {}),
        templates: spec.templates,
        createdAt: new Date().toISOString(),
      };
      // Record first: a firing that finds no record creates nothing, the safe side of a crash here.
      await schedules.create(record);
      await firings.upsertJobScheduler(
        schedulerId(record),
        record.cron ? { pattern: record.cron, tz: record.tz ?? 'UTC' } : { every: record.every ?? 0 },
        {
          name: SCHEDULE_FIRING,
          data: { scheduleId: record.id, tenant: record.tenant },
          opts: FIRING_JOB_OPTIONS,
        },
      );
      reply.header('location', `/v1/schedules/${record.id}`);
      return reply.code(201).send(await viewOf(record));
    },
  );

  app.get(
    '/schedules',
    {
      schema: {
        tags: ['schedules'],
        summary: "The tenant's schedules, newest first",
        response: { 200: ScheduleList, ...problemResponses(...AUTHED) },
      },
    },
    async (request) => ({ items: await Promise.all((await schedules.list(request.tenant)).map(viewOf)) }),
  );

  app.get(
    '/schedules/:id',
    {
      schema: {
        tags: ['schedules'],
        summary: 'A schedule with the jobs it created most recently',
        params: IdParams,
        response: { 200: ScheduleView, ...problemResponses(404, ...AUTHED) },
      },
    },
    async (request) => {
      const record = await own(request.tenant, request.params.id);
      const entries = await store.page(store.scheduleIndex(record.id), { count: RECENT_JOBS });
      const views = await jobs.viewsOf(entries.map((entry) => entry.id));
      const recentJobs = views.flatMap((view) =>
        view ? [{ id: view.id, status: view.status, createdAt: view.createdAt }] : [],
      );
      return { ...(await viewOf(record)), recentJobs };
    },
  );

  app.delete(
    '/schedules/:id',
    {
      schema: {
        tags: ['schedules'],
        summary: 'Delete a schedule; jobs it already created are kept',
        params: IdParams,
        response: { 204: z.undefined(), ...problemResponses(404, ...AUTHED) },
      },
    },
    async (request, reply) => {
      const record = await own(request.tenant, request.params.id);
      await firings.removeJobScheduler(schedulerId(record));
      await schedules.delete(record);
      return reply.code(204).send();
    },
  );
};
