/**
 * The compiled serializers write what zod's encode writes, for every shape a response takes, and
 * nothing a schema leaves out.
 */
import { BatchList, BatchView, JobList, JobResource, JobSpec, ScheduleView } from '@ddinit/contracts';
import type { z } from 'zod';
import { FIXTURES, loadFixture } from '../../../packages/report-html/src/testing/fixtures.js';
import { compileSerializer } from './serializer.js';

const spec = JobSpec.parse({
  model: { uri: 's3://models/vgg/model.json' },
  dataset: { uri: 's3://models/images/', sample: 64 },
  output: { uri: 's3://outputs/run/' },
  labels: { team: 'vision', 'run.id': '7' },
  callback: { url: 'https://hooks.example.com/ddinit' },
});
const createdAt = '2026-11-27T10:00:00.000Z';
const base = { id: 'j_abc', spec, createdAt, cancelRequestedAt: null };
const progress = { phase: 'within-layer', layer: 3, layers: 9, fraction: 0.4 };

const views: Record<string, JobResource> = {
  queued: { ...base, status: 'queued', progress: null, startedAt: null, finishedAt: null, attempts: 0 },
  running: {
    ...base,
    status: 'running',
    progress,
    startedAt: createdAt,
    finishedAt: null,
    attempts: 2,
    cancelRequestedAt: createdAt,
    batchId: 'b_1',
    scheduleId: 's_1',
    retryOf: 'j_old',
  },
  failed: {
    ...base,
    status: 'failed',
    progress,
    startedAt: createdAt,
    finishedAt: createdAt,
    attempts: 3,
    error: { code: 'data_invalid', message: 'image 3 is not a PNG or JPEG' },
  },
  cancelled: {
    ...base,
    status: 'cancelled',
    progress: null,
    startedAt: null,
    finishedAt: createdAt,
    attempts: 0,
  },
};
for (const name of FIXTURES) {
  views[`succeeded (${name})`] = {
    ...base,
    status: 'succeeded',
    progress: { ...progress, phase: 'save', fraction: 1 },
    startedAt: createdAt,
    finishedAt: createdAt,
    attempts: 1,
    result: {
      checkpoint: 's3://outputs/run/model.json',
      files: [{ uri: 's3://outputs/run/model.json', bytes: 1234, sha256: 'a'.repeat(64) }],
      report: loadFixture(name),
    },
  };
}

function expectSameAsZod<S extends z.ZodType>(schema: S, value: z.output<S>): void {
  const json = compileSerializer(schema)(value);
  expect(JSON.parse(json)).toEqual(schema.encode(value));
}

test.each(Object.entries(views))('a %s job view serializes as zod encodes it', (_, view) => {
  expectSameAsZod(JobResource, view);
});

test('lists, batches and schedules serialize as zod encodes them', () => {
  expectSameAsZod(JobList, { items: Object.values(views), nextCursor: 'MDAx' });
  expectSameAsZod(JobList, { items: [], nextCursor: null });
  expectSameAsZod(BatchView, {
    id: 'b_1',
    createdAt,
    total: 2,
    counts: { queued: 1, running: 0, succeeded: 1, failed: 0, cancelled: 0 },
    jobIds: ['j_1', 'j_2'],
  });
  expectSameAsZod(BatchList, { items: [{ id: 'b_1', createdAt, total: 2 }], nextCursor: null });
  expectSameAsZod(ScheduleView, {
    id: 's_1',
    name: null,
    cron: '0 3 * * *',
    every: null,
    tz: 'Europe/Berlin',
    templates: [spec],
    createdAt,
    nextRunAt: null,
    recentJobs: [{ id: 'j_1', status: 'queued', createdAt }],
  });
});

test('fields a schema does not name are left out, at any depth', () => {
  const view = {
    ...views.failed,
    tenant: 'acme',
    error: { code: 'x', message: 'y', stack: 'at secret.ts:1' },
  };
  const json = JSON.parse(compileSerializer(JobResource)(view));
  expect(json).not.toHaveProperty('tenant');
  expect(json.error).toEqual({ code: 'x', message: 'y' });
});

test('one compiled serializer per schema', () => {
  expect(compileSerializer(JobResource)).toBe(compileSerializer(JobResource));
});
