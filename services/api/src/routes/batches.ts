import { BatchList, BatchListQuery, BatchSpec, BatchView } from '@ddinit/contracts';
import type { FastifyPluginAsyncZod } from '@fastify/type-provider-zod';
import type { BatchRecord, BatchStore } from '../batch-store.js';
import { newId } from '../ids.js';
import { decodeCursor, encodeCursor, type JobService } from '../job-service.js';
import { problem } from '../problems.js';
import { type SpecPolicy, specErrors } from '../spec-policy.js';
import { AUTHED, assertNoFieldErrors, IdParams, problemResponses } from './common.js';

export interface BatchRoutesOptions {
  batches: BatchStore;
  jobs: JobService;
  policy: SpecPolicy;
}

export const batchRoutes: FastifyPluginAsyncZod<BatchRoutesOptions> = async (app, options) => {
  const { batches, jobs, policy } = options;

  app.post(
    '/batches',
    {
      schema: {
        tags: ['batches'],
        summary: 'Submit many jobs at once',
        description:
          'All specs are validated first; one bad spec refuses the whole batch, naming each bad field.',
        body: BatchSpec,
        response: { 202: BatchView, ...problemResponses(400, ...AUTHED) },
      },
    },
    async (request, reply) => {
      const specs = request.body.jobs;
      const perSpec = await Promise.all(
        specs.map((spec, i) => specErrors(spec, policy, request.tenant, `body.jobs.${i}`)),
      );
      assertNoFieldErrors(perSpec.flat());
      const planned = specs.map((spec) => ({ id: newId('j'), spec }));
      const record: BatchRecord = {
        id: newId('b'),
        tenant: request.tenant,
        createdAt: new Date().toISOString(),
        jobIds: planned.map((job) => job.id),
      };
      // The batch record goes first so every job's batchId points at a batch that exists.
      await batches.create(record);
      await jobs.createMany(request.tenant, planned, record.id);
      reply.header('location', `/v1/batches/${record.id}`);
      const counts = { queued: planned.length, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
      const { id, createdAt, jobIds } = record;
      return reply.code(202).send({ id, createdAt, total: planned.length, counts, jobIds });
    },
  );

  app.get(
    '/batches',
    {
      schema: {
        tags: ['batches'],
        summary: "List the tenant's batches, newest first",
        description:
          'Each with its id, creation time and number of jobs; `GET /v1/batches/:id` counts them by status.',
        querystring: BatchListQuery,
        response: { 200: BatchList, ...problemResponses(400, ...AUTHED) },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const before = cursor === undefined ? undefined : decodeCursor(cursor);
      const page = await batches.page(request.tenant, { ...(before ? { before } : {}), count: limit });
      return {
        items: page.records.map(({ id, createdAt, jobIds }) => ({ id, createdAt, total: jobIds.length })),
        nextCursor: page.next ? encodeCursor(page.next) : null,
      };
    },
  );

  app.get(
    '/batches/:id',
    {
      schema: {
        tags: ['batches'],
        summary: "A batch's jobs and how many are in each status",
        params: IdParams,
        response: { 200: BatchView, ...problemResponses(404, ...AUTHED) },
      },
    },
    async (request) => {
      const record = await batches.get(request.params.id);
      if (!record || record.tenant !== request.tenant)
        throw problem('batch_not_found', `no batch ${request.params.id}`);
      const counts = await jobs.counts(record.jobIds);
      return {
        id: record.id,
        createdAt: record.createdAt,
        total: record.jobIds.length,
        counts,
        jobIds: record.jobIds,
      };
    },
  );
};
