/**
 * How a job record and BullMQ's live state become the public job view. BullMQ has seven-odd states
 * and a free-text failure reason; clients get five statuses and a `{code, message}` error.
 */
import { type JobError, JobProgress, type JobResource, JobResult, type JobStatus } from '@ddinit/contracts';
import type { Job, JobState } from 'bullmq';
import type { JobOutcome, JobRecord } from './job-store.js';

/** What the view needs from a BullMQ job: read once, so a view is consistent with itself. */
export interface QueueJobSnapshot {
  state: JobState | 'unknown';
  progress: unknown;
  attemptsMade: number;
  attemptsStarted: number;
  processedOn?: number;
  finishedOn?: number;
  returnvalue: unknown;
  failedReason?: string;
}

/**
 * A record without `enqueuedAt` and without a BullMQ job is being created by another request for this
 * long; after that the creation is taken to have failed half-way.
 */
export const ENQUEUE_GRACE_MS = 60_000;

export function snapshotOf(job: Job, state: JobState | 'unknown'): QueueJobSnapshot {
  return {
    state,
    progress: job.progress,
    attemptsMade: job.attemptsMade,
    attemptsStarted: job.attemptsStarted,
    processedOn: job.processedOn,
    finishedOn: job.finishedOn,
    returnvalue: job.returnvalue,
    failedReason: job.failedReason,
  };
}

/**
 * Splits a worker's failure reason `code: message` (what `UnrecoverableError("<code>: <message>")`
 * carries) into its parts. Anything else (a crash, a stall) becomes `internal` with the whole text.
 */
export function parseFailedReason(reason: string | undefined): JobError {
  const match = /^([a-z][a-z0-9_]{0,63}): ([\s\S]*)$/.exec(reason ?? '');
  if (match?.[1] && match[2] !== undefined) return { code: match[1], message: match[2] };
  return { code: 'internal', message: reason || 'the job failed without a reason' };
}

/** The worker's `{phase, layer, layers, fraction}`; anything else (a bare number) is not shown. */
function progressOf(snapshot: QueueJobSnapshot | undefined): JobProgress | null {
  const progress = JobProgress.safeParse(snapshot?.progress);
  return progress.success ? progress.data : null;
}

function iso(ms: number | undefined): string | null {
  return ms ? new Date(ms).toISOString() : null;
}

/** The status BullMQ's state maps to, for states that are not final. */
function liveStatus(state: JobState | 'unknown'): JobStatus | undefined {
  switch (state) {
    case 'active':
      return 'running';
    case 'waiting':
    case 'prioritized':
    case 'delayed':
    case 'waiting-children':
      return 'queued';
    default:
      return undefined;
  }
}

/**
 * The final state a snapshot shows, or undefined while the job is still queued or running.
 * `attempts` counts starts as well as failures: a job that stalled and re-ran started twice.
 */
export function outcomeOf(snapshot: QueueJobSnapshot): JobOutcome | undefined {
  if (snapshot.state !== 'completed' && snapshot.state !== 'failed') return undefined;
  const common = {
    attempts: Math.max(snapshot.attemptsMade, snapshot.attemptsStarted),
    startedAt: iso(snapshot.processedOn),
    finishedAt: iso(snapshot.finishedOn) ?? new Date().toISOString(),
    progress: progressOf(snapshot),
  };
  if (snapshot.state === 'completed') {
    const result = JobResult.safeParse(snapshot.returnvalue);
    return result.success
      ? { ...common, status: 'succeeded', result: result.data }
      : {
          ...common,
          status: 'failed',
          error: {
            code: 'invalid_result',
            message: 'the worker returned a result that does not match JobResult',
          },
        };
  }
  const error = parseFailedReason(snapshot.failedReason);
  return { ...common, status: error.code === 'cancelled' ? 'cancelled' : 'failed', error };
}

/**
 * The public view of a job. Precedence: a cancel done by the API, then a recorded outcome, then
 * BullMQ's state. A record whose BullMQ job is gone and whose outcome was never observed (the API was
 * down when retention removed it) reads as failed with `job_lost` rather than pretending to be queued;
 * one that never reached the queue reads as failed with `enqueue_failed` once the grace period is over.
 */
export function toJobResource(
  record: JobRecord,
  snapshot: QueueJobSnapshot | undefined,
  now: number = Date.now(),
): JobResource {
  const base = {
    id: record.id,
    spec: record.spec,
    createdAt: record.createdAt,
    cancelRequestedAt: record.cancelRequestedAt ?? null,
    ...(record.batchId ? { batchId: record.batchId } : {}),
    ...(record.scheduleId ? { scheduleId: record.scheduleId } : {}),
    ...(record.retryOf ? { retryOf: record.retryOf } : {}),
  };
  const live = {
    progress: progressOf(snapshot),
    startedAt: iso(snapshot?.processedOn),
    attempts: snapshot ? Math.max(snapshot.attemptsMade, snapshot.attemptsStarted) : 0,
  };
  if (record.cancelledAt) {
    return { ...base, ...live, status: 'cancelled', finishedAt: record.cancelledAt };
  }
  const outcome = record.outcome ?? (snapshot ? outcomeOf(snapshot) : undefined);
  if (outcome) {
    return {
      ...base,
      progress: outcome.progress ?? live.progress,
      status: outcome.status,
      startedAt: outcome.startedAt,
      finishedAt: outcome.finishedAt,
      attempts: outcome.attempts,
      ...(outcome.result ? { result: outcome.result } : {}),
      ...(outcome.error ? { error: outcome.error } : {}),
    };
  }
  const status = snapshot ? liveStatus(snapshot.state) : undefined;
  if (status) return { ...base, ...live, status, finishedAt: null };
  if (!record.enqueuedAt && now - Date.parse(record.createdAt) < ENQUEUE_GRACE_MS) {
    return { ...base, ...live, status: 'queued', finishedAt: null };
  }
  const error = record.enqueuedAt
    ? { code: 'job_lost', message: 'the job left the queue and its outcome was not recorded' }
    : { code: 'enqueue_failed', message: 'the request that created the job failed before queueing it' };
  return { ...base, ...live, status: 'failed', finishedAt: null, error };
}
