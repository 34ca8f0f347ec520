/**
 * The OpenAPI 3.1 document, generated from the routes' zod schemas. Shared schemas are named in a
 * registry of this package (not zod's global one) so the document has `$ref`s instead of copies.
 */
import {
  BatchSpec,
  BatchView,
  JobDownload,
  JobList,
  JobLogs,
  JobResource,
  JobSpec,
  Problem,
  ScheduleList,
  ScheduleSpec,
  ScheduleView,
  WebhookEvent,
} from '@ddinit/contracts';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { createJsonSchemaTransform, createJsonSchemaTransformObject } from '@fastify/type-provider-zod';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

export const schemaRegistry = z.registry<{ id?: string }>();
for (const [id, schema] of Object.entries({
  BatchSpec,
  BatchView,
  JobDownload,
  JobList,
  JobLogs,
  JobResource,
  JobSpec,
  Problem,
  ScheduleList,
  ScheduleSpec,
  ScheduleView,
  WebhookEvent,
})) {
  schemaRegistry.add(schema, { id });
}

const API_VERSION = '0.1.0';

type OpenApiDocument = ReturnType<ReturnType<typeof createJsonSchemaTransformObject>>;

/** What each status means across the API; the zod transform would say "Default Response". */
const STATUS_DESCRIPTIONS: Record<string, string> = {
  '200': 'OK',
  '201': 'Created',
  '202': 'Accepted',
  '204': 'No Content',
  '400': 'The request is not valid; `errors` lists every bad field',
  '401': 'Missing or invalid API key',
  '404': 'Not found, or owned by another tenant',
  '409': "The request conflicts with the job's status",
  '422': 'Idempotency-Key reused with a different body',
  '503': 'Redis or object storage unreachable; retry after Retry-After seconds',
};

/**
 * Finishes the generated document: error responses are problem+json (the zod transform only knows
 * application/json), and every response gets a description of its status.
 */
function finishDocument(document: OpenApiDocument): OpenApiDocument {
  const paths = (
    document as { paths?: Record<string, Record<string, { responses?: Record<string, unknown> }>> }
  ).paths;
  for (const operations of Object.values(paths ?? {})) {
    for (const operation of Object.values(operations)) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const typed = response as { description?: string; content?: Record<string, unknown> };
        const description = STATUS_DESCRIPTIONS[status];
        if (description && (!typed.description || typed.description === 'Default Response')) {
          typed.description = description;
        }
        if (Number(status) >= 400 && typed.content?.['application/json']) {
          typed.content['application/problem+json'] = typed.content['application/json'];
          delete typed.content['application/json'];
        }
      }
    }
  }
  return document;
}

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  const transformObject = createJsonSchemaTransformObject({ schemaRegistry });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'ddinit API',
        version: API_VERSION,
        description:
          'Data-dependent initialization of TF.js LayersModels as queued jobs. Every error is ' +
          'application/problem+json with a stable `code`.',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearerAuth: [] }],
      tags: [
        { name: 'jobs', description: 'Initialization jobs' },
        { name: 'schedules', description: 'Recurring jobs' },
        { name: 'batches', description: 'Many jobs at once' },
        { name: 'operations', description: 'Health and metrics' },
      ],
    },
    transform: createJsonSchemaTransform({ schemaRegistry, skipList: [] }),
    transformObject: (document) => finishDocument(transformObject(document)),
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
