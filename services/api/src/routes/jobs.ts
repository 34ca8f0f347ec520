import {
  InitReport,
  JobDownload,
  JobList,
  JobListQuery,
  JobLogs,
  JobResource,
  JobSpec,
} from '@ddinit/contracts';
import { renderReportHtml } from '@ddinit/report-html';
import type { S3Access } from '@ddinit/storage/s3';
import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import { z } from 'zod';
import type { JobService } from '../job-service.js';
import { problem } from '../problems.js';
import { type SpecPolicy, specErrors } from '../spec-policy.js';
import { AUTHED, assertNoFieldErrors, IdParams, problemResponses } from './common.js';

export interface JobRoutesOptions {
  jobs: JobService;
  policy: SpecPolicy;
  /** Presigns /download URLs; without it no file can be downloaded through the API. */
  objects?: S3Access;
  downloadExpiresSeconds: number;
}

const CreateHeaders = z
  .object({
    'idempotency-key': z
      .string()
      .min(1)
      .max(255)
      .regex(/^[\x21-\x7e]+$/, { message: 'must be 1 to 255 visible ASCII characters' })
      .optional()
      .describe(
        'Same key and body: the same job again. Same key, other body: 422. Remembered as long as the job.',
      ),
  })
  .loose();

const LogsQuery = z
  .object({
    /** Lines returned, oldest first. @defaultValue 1000 */
    limit: z.coerce.number().int().min(1).max(10_000).default(1_000),
  })
  .strict();

export const jobRoutes: FastifyPluginAsyncZod<JobRoutesOptions> = async (app, options) => {
  const { jobs, policy } = options;

  app.post(
    '/jobs',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Submit an initialization job',
        description:
          'Answers 202 with the new job. With an Idempotency-Key already used for the same body it answers ' +
          '200 with the job that request created (header Idempotent-Replayed: true).',
        headers: CreateHeaders,
        body: JobSpec,
        response: {
          200: JobResource,
          202: JobResource,
          ...problemResponses(400, 422, ...AUTHED),
        },
      },
    },
    async (request, reply) => {
      assertNoFieldErrors(await specErrors(request.body, policy, request.tenant, 'body'));
      const idempotencyKey = request.headers['idempotency-key'];
      const { view, created } = await jobs.create(
        request.tenant,
        request.body,
        idempotencyKey ? { idempotencyKey } : {},
      );
      reply.header('location', `/v1/jobs/${view.id}`);
      if (!created) reply.header('idempotent-replayed', 'true');
      return reply.code(created ? 202 : 200).send(view);
    },
  );

  app.get(
    '/jobs',
    {
      schema: {
        tags: ['jobs'],
        summary: "List the tenant's jobs, newest first",
        querystring: JobListQuery,
        response: { 200: JobList, ...problemResponses(400, ...AUTHED) },
      },
    },
    async (request) => jobs.list(request.tenant, request.query),
  );

  app.get(
    '/jobs/:id',
    {
      schema: {
        tags: ['jobs'],
        summary: 'A job: status, progress, attempts, result or error',
        params: IdParams,
        response: { 200: JobResource, ...problemResponses(404, ...AUTHED) },
      },
    },
    async (request) => jobs.view(request.tenant, request.params.id),
  );

  app.post(
    '/jobs/:id/cancel',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Cancel a job',
        description:
          'A queued job is removed and cancelled at once (200). A running job is asked to stop (202); it ' +
          'turns cancelled when its worker stops it. A finished job cannot be cancelled (409).',
        params: IdParams,
        response: {
          200: JobResource,
          202: JobResource,
          ...problemResponses(404, 409, ...AUTHED),
        },
      },
    },
    async (request, reply) => {
      const { view, accepted } = await jobs.cancel(request.tenant, request.params.id);
      return reply.code(accepted ? 202 : 200).send(view);
    },
  );

  app.post(
    '/jobs/:id/retry',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Retry a failed or cancelled job',
        description:
          'Answers 202 with a new job: the same spec, `retryOf` naming the retried job. The request is ' +
          'idempotent: asked again, it answers 200 with that same new job (header Idempotent-Replayed: ' +
          'true); to try once more after it failed, retry the new job. A queued, running or succeeded ' +
          'job cannot be retried (409). The spec is checked against the current policy (400 naming ' +
          '`spec.…` fields when it is no longer allowed).',
        params: IdParams,
        response: {
          200: JobResource,
          202: JobResource,
          ...problemResponses(400, 404, 409, ...AUTHED),
        },
      },
    },
    async (request, reply) => {
      const { view, created } = await jobs.retry(request.tenant, request.params.id, async (spec) =>
        assertNoFieldErrors(await specErrors(spec, policy, request.tenant, 'spec')),
      );
      reply.header('location', `/v1/jobs/${view.id}`);
      if (!created) reply.header('idempotent-replayed', 'true');
      return reply.code(created ? 202 : 200).send(view);
    },
  );

  /** The report of a succeeded job; 409 before that. */
  const succeededReport = async (tenant: string, id: string) => {
    const view = await jobs.view(tenant, id);
    if (view.status !== 'succeeded' || !view.result) {
      throw problem(
        'job_not_succeeded',
        `job ${view.id} is ${view.status}; a report exists once it succeeded`,
      );
    }
    return view.result.report;
  };

  app.get(
    '/jobs/:id/report',
    {
      schema: {
        tags: ['jobs'],
        summary: 'The initialization report of a succeeded job',
        params: IdParams,
        response: { 200: InitReport, ...problemResponses(404, 409, ...AUTHED) },
      },
    },
    (request) => succeededReport(request.tenant, request.params.id),
  );

  app.get(
    '/jobs/:id/report.html',
    {
      schema: {
        tags: ['jobs'],
        summary: 'The report of a succeeded job as a self-contained HTML page (charts, no network needed)',
        produces: ['text/html'],
        params: IdParams,
        response: { ...problemResponses(404, 409, ...AUTHED) },
      },
    },
    async (request, reply) => {
      const report = await succeededReport(request.tenant, request.params.id);
      const page = renderReportHtml(report, { title: `ddinit · job ${request.params.id}` });
      // An HTML body, not a schema-typed JSON one: strings with a non-JSON type are sent as they are.
      return reply.type('text/html; charset=utf-8').send(page as never);
    },
  );

  app.get(
    '/jobs/:id/logs',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Log lines the worker wrote for the job',
        params: IdParams,
        querystring: LogsQuery,
        response: { 200: JobLogs, ...problemResponses(400, 404, ...AUTHED) },
      },
    },
    async (request) => jobs.logs(request.tenant, request.params.id, request.query.limit),
  );

  app.get(
    '/jobs/:id/download',
    {
      schema: {
        tags: ['jobs'],
        summary: "Short-lived download URLs of a succeeded job's checkpoint files",
        description: 'Presigned GET URLs for the s3:// files of the result; other files are not listed.',
        params: IdParams,
        response: { 200: JobDownload, ...problemResponses(404, 409, ...AUTHED) },
      },
    },
    async (request) => {
      const view = await jobs.view(request.tenant, request.params.id);
      if (view.status !== 'succeeded' || !view.result) {
        throw problem('job_not_succeeded', `job ${view.id} is ${view.status}; files exist once it succeeded`);
      }
      const expiresIn = options.downloadExpiresSeconds;
      const expiresAt = new Date(Date.now() + expiresIn * 1000).toISOString();
      const objects = options.objects;
      const s3Files = objects ? view.result.files.filter((file) => file.uri.startsWith('s3://')) : [];
      let files: JobDownload['files'];
      try {
        files = await Promise.all(
          s3Files.map(async (file) => ({ ...file, url: await objects!.presignGet(file.uri, expiresIn) })),
        );
      } catch (error) {
        request.log.error({ err: error }, 'presigning failed');
        throw problem('storage_unavailable', 'download URLs could not be signed; retry later');
      }
      return { expiresAt, files };
    },
  );
};
