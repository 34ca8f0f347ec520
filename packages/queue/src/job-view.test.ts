import { JobSpec } from '@ddinit/contracts';
import type { JobRecord } from './job-store.js';
import {
  ENQUEUE_GRACE_MS,
  outcomeOf,
  parseFailedReason,
  type QueueJobSnapshot,
  toJobResource,
} from './job-view.js';

const spec = JobSpec.parse({
  model: { uri: 's3://mdl/model.json' },
  dataset: { uri: 's3://mdl/images/' },
  output: { uri: 's3://mdl/out/' },
});
const createdAt = '2026-11-27T10:00:00.000Z';
const record: JobRecord = { id: 'j_1', tenant: 't', spec, createdAt, enqueuedAt: createdAt };

function snapshot(overrides: Partial<QueueJobSnapshot>): QueueJobSnapshot {
  return {
    state: 'waiting',
    progress: 0,
    attemptsMade: 0,
    attemptsStarted: 0,
    returnvalue: null,
    ...overrides,
  };
}

describe('parseFailedReason', () => {
  it('splits "code: message" and keeps anything else whole as internal', () => {
    expect(parseFailedReason('bad_model: not a layers-model: v2')).toEqual({
      code: 'bad_model',
      message: 'not a layers-model: v2',
    });
    expect(parseFailedReason('job stalled more than allowable limit')).toEqual({
      code: 'internal',
      message: 'job stalled more than allowable limit',
    });
    expect(parseFailedReason(undefined).code).toBe('internal');
  });
});

describe('toJobResource', () => {
  it.each([
    ['waiting', 'queued'],
    ['prioritized', 'queued'],
    ['delayed', 'queued'],
    ['active', 'running'],
  ] as const)('maps BullMQ %s to %s', (state, status) => {
    expect(toJobResource(record, snapshot({ state })).status).toBe(status);
  });

  it('shows progress objects, and attempts as the larger of starts and failures', () => {
    const view = toJobResource(
      record,
      snapshot({
        state: 'active',
        attemptsMade: 1,
        attemptsStarted: 2,
        processedOn: Date.parse(createdAt) + 1000,
        progress: { phase: 'between', fraction: 0.7 },
      }),
    );
    expect(view).toMatchObject({
      status: 'running',
      attempts: 2,
      progress: { phase: 'between', fraction: 0.7 },
    });
    expect(view.startedAt).toBe('2026-11-27T10:00:01.000Z');
    expect(toJobResource(record, snapshot({ state: 'active', progress: 42 })).progress).toBeNull();
  });

  it('maps a failure with code cancelled to cancelled, others to failed', () => {
    const cancelled = toJobResource(
      record,
      snapshot({ state: 'failed', failedReason: 'cancelled: user request', finishedOn: 5 }),
    );
    expect(cancelled).toMatchObject({
      status: 'cancelled',
      error: { code: 'cancelled', message: 'user request' },
    });
    const timeout = toJobResource(
      record,
      snapshot({ state: 'failed', failedReason: 'timeout: over 3600 s' }),
    );
    expect(timeout).toMatchObject({ status: 'failed', error: { code: 'timeout' } });
  });

  it('refuses a completed job whose return value is not a JobResult', () => {
    expect(outcomeOf(snapshot({ state: 'completed', returnvalue: { checkpoint: 1 } }))).toMatchObject({
      status: 'failed',
      error: { code: 'invalid_result' },
    });
  });

  it('prefers an API cancel, then a recorded outcome, over BullMQ', () => {
    const cancelledAt = '2026-11-27T10:05:00.000Z';
    expect(toJobResource({ ...record, cancelledAt }, snapshot({ state: 'waiting' }))).toMatchObject({
      status: 'cancelled',
      finishedAt: cancelledAt,
    });
    const outcome = {
      status: 'failed' as const,
      startedAt: null,
      finishedAt: cancelledAt,
      attempts: 3,
      error: { code: 'x', message: 'y' },
    };
    expect(toJobResource({ ...record, outcome }, undefined)).toMatchObject({ status: 'failed', attempts: 3 });
  });

  it('reads a record without a queue job as queued while it is being created, then as lost', () => {
    const fresh = { ...record, enqueuedAt: undefined };
    const start = Date.parse(createdAt);
    expect(toJobResource(fresh, undefined, start + 1000).status).toBe('queued');
    expect(toJobResource(fresh, undefined, start + ENQUEUE_GRACE_MS + 1).error?.code).toBe('enqueue_failed');
    expect(toJobResource(record, undefined, start + 1000).error?.code).toBe('job_lost');
  });
});
