/**
 * What the job routes, batches and schedules do with jobs: create (idempotently), read views, list,
 * cancel. Records first, queue second: a job exists for the API once its record does, and the record
 * creation is the one atomic step that makes retries and duplicate requests land on one job.
 */
import type { JobError, JobList, JobListQuery, JobResource, JobSpec, StatusCounts } from '@ddinit/contracts';
import {
  DEFAULT_JOB_OPTIONS,
  INIT_JOB,
  type InitJobData,
  isIndexMember,
  type JobRecord,
  type JobStore,
  outcomeOf,
  type QueueJobSnapshot,
  snapshotOf,
  toJobResource,
} from '@ddinit/queue';
import type { Job, JobState, JobsOptions, Queue, QueueEventsProducer } from 'bullmq';
import { canonicalJson, derivedId, isJobId, newId, sha256Hex } from './ids.js';
import { problem, validationProblem } from './problems.js';
import type { WebhookOutbox } from './webhooks.js';

export interface CreateOptions {
  /** The client's Idempotency-Key: the job id derives from it and the body's hash is kept. */
  idempotencyKey?: string;
  /** A caller-derived id (schedule firings), making a retried creation a no-op. */
  id?: string;
  batchId?: string;
  scheduleId?: string;
  /** The failed or cancelled job this one retries. */
  retryOf?: string;
}

export interface CreateOutcome {
  view: JobResource;
  /** False when an earlier request already created this job. */
  created: boolean;
}

/** What BullMQ holds for a job it has just added. */
const JUST_ADDED: QueueJobSnapshot = {
  state: 'waiting',
  progress: 0,
  attemptsMade: 0,
  attemptsStarted: 0,
  returnvalue: null,
};

/** Index entries looked at per list request at most, so a rare status cannot make a request scan forever. */
const MAX_SCAN = 1_000;
const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

function notFound(id: string) {
  return problem('job_not_found', `no job ${id}`);
}

/** A record whose final state is known: its view needs nothing from BullMQ. */
function isSettled(record: JobRecord): boolean {
  return record.cancelledAt !== undefined || record.outcome !== undefined;
}

export class JobService {
  constructor(
    private readonly queue: Queue<InitJobData>,
    private readonly events: QueueEventsProducer,
    private readonly store: JobStore,
    private readonly outbox: WebhookOutbox,
    /** Attempts, backoff and retention of each job added. @defaultValue DEFAULT_JOB_OPTIONS */
    private readonly jobOptions: JobsOptions = DEFAULT_JOB_OPTIONS,
  ) {}

  async create(tenant: string, spec: JobSpec, options: CreateOptions = {}): Promise<CreateOutcome> {
    const fresh = newRecord(tenant, spec, options);
    const result = await this.store.create(fresh);
    if (!result.created && result.requestHash !== fresh.requestHash) {
      throw problem('idempotency_key_reused', 'this Idempotency-Key was used with a different request body');
    }
    const record = result.created ? fresh : await this.store.get(fresh.id);
    if (!record) throw new Error(`job record ${fresh.id} vanished right after creation`);
    // A replay also finishes what its first request may not have: that one may have died between the
    // record and the queue. A job refused before queueing stays refused.
    if (!record.enqueuedAt && !record.cancelledAt && !record.outcome) await this.enqueue([record]);
    // A job added a moment ago is queued; reading BullMQ back would only cost two round trips.
    if (result.created) return { view: toJobResource(record, JUST_ADDED), created: true };
    return { view: await this.viewOf(record), created: false };
  }

  /**
   * Records a job that is refused instead of queued (a schedule's template the policy no longer
   * allows): it reads as failed with `error` and zero attempts, and its webhook goes out as for any
   * failure. Idempotent like `create`: a retried refusal changes nothing (`created` is false).
   */
  async refuse(
    tenant: string,
    spec: JobSpec,
    options: CreateOptions,
    error: JobError,
  ): Promise<CreateOutcome> {
    const fresh = newRecord(tenant, spec, options);
    const { created } = await this.store.create(fresh);
    if (created) {
      await this.store.recordOutcome(fresh.id, {
        status: 'failed',
        startedAt: null,
        finishedAt: fresh.createdAt,
        attempts: 0,
        error,
      });
    }
    const record = await this.store.get(fresh.id);
    if (!record) throw new Error(`job record ${fresh.id} vanished right after creation`);
    const view = await this.viewOf(record);
    // The delivery's id derives from the job and its status: a retried refusal queues it once.
    if (view.status === 'failed') await this.outbox.jobFinished(view);
    return { view, created };
  }

  /** Creates a batch's jobs: every record first, then one addBulk, so a batch is queued in one round. */
  async createMany(
    tenant: string,
    jobs: readonly { id: string; spec: JobSpec }[],
    batchId: string,
  ): Promise<void> {
    const createdAt = new Date().toISOString();
    const records: JobRecord[] = jobs.map(({ id, spec }) => ({ id, tenant, spec, createdAt, batchId }));
    await Promise.all(records.map((record) => this.store.create(record)));
    await this.enqueue(records);
  }

  private async enqueue(records: readonly JobRecord[]): Promise<void> {
    const jobs = records.map((record) => ({
      name: INIT_JOB,
      data: {
        spec: record.spec,
        tenant: record.tenant,
        submittedAt: record.createdAt,
        ...(record.scheduleId ? { scheduleId: record.scheduleId } : {}),
        ...(record.batchId ? { batchId: record.batchId } : {}),
      },
      opts: { ...this.jobOptions, jobId: record.id, priority: record.spec.priority },
    }));
    // One job skips the pipeline addBulk builds: the hottest route, a POST, adds one.
    const [single] = jobs;
    if (jobs.length === 1 && single) await this.queue.add(single.name, single.data, single.opts);
    else await this.queue.addBulk(jobs);
    const at = new Date().toISOString();
    await Promise.all(records.map((record) => this.store.markEnqueued(record.id, at)));
  }

  /** The tenant's record of a job; another tenant's job is reported missing, never forbidden. */
  async own(tenant: string, id: string): Promise<JobRecord> {
    const record = isJobId(id) ? await this.store.get(id) : undefined;
    if (!record || record.tenant !== tenant) throw notFound(id);
    return record;
  }

  /**
   * The view of a record. Final records need no BullMQ read; a final state seen here for the first
   * time is written to the record, so the view survives BullMQ's retention.
   */
  async viewOf(record: JobRecord): Promise<JobResource> {
    if (isSettled(record)) return toJobResource(record, undefined);
    const [state, job] = await this.queued(record.id);
    return this.combine(record, state, job);
  }

  /**
   * The tenant's job, as `viewOf` would show it. The record and BullMQ's state are read together, in
   * one round trip, before the tenant is checked: reading another tenant's queue entry reveals nothing,
   * and a view is the API's most frequent request.
   */
  async view(tenant: string, id: string): Promise<JobResource> {
    if (!isJobId(id)) throw notFound(id);
    const [record, [state, job]] = await Promise.all([this.store.get(id), this.queued(id)]);
    if (!record || record.tenant !== tenant) throw notFound(id);
    if (isSettled(record)) return toJobResource(record, undefined);
    return this.combine(record, state, job);
  }

  /** BullMQ's state and job, asked for at once: one round trip rather than two. */
  private queued(id: string): Promise<[JobState | 'unknown', Job<InitJobData> | undefined]> {
    return Promise.all([this.queue.getJobState(id), this.queue.getJob(id)]);
  }

  /**
   * A record and BullMQ's reads of its job. A job that finished between the two reads shows a final
   * state with the fields of a running job; a final state never changes, so reading the job once more
   * mends that.
   */
  private async combine(
    record: JobRecord,
    state: JobState | 'unknown',
    read: Job<InitJobData> | undefined,
  ): Promise<JobResource> {
    const finishedMeanwhile = (state === 'completed' || state === 'failed') && !read?.finishedOn;
    const job = finishedMeanwhile ? await this.queue.getJob(record.id) : read;
    if (!job || state === 'unknown') return toJobResource(record, undefined);
    const snapshot = snapshotOf(job, state);
    const outcome = outcomeOf(snapshot);
    if (outcome) await this.store.recordOutcome(record.id, outcome);
    return toJobResource(record, snapshot);
  }

  /** Views of many jobs by id; ids whose records expired are left out. */
  async viewsOf(ids: readonly string[]): Promise<(JobResource | undefined)[]> {
    const records = await this.store.getMany(ids);
    return Promise.all(records.map((record) => (record ? this.viewOf(record) : undefined)));
  }

  async counts(ids: readonly string[]): Promise<StatusCounts> {
    const counts: StatusCounts = { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
    for (let start = 0; start < ids.length; start += 100) {
      for (const view of await this.viewsOf(ids.slice(start, start + 100))) {
        if (view) counts[view.status] += 1;
      }
    }
    return counts;
  }

  /**
   * Newest first through the tenant's (or one label's) index. The status filter is applied to views,
   * since a status changes without the API hearing of it; so the scan per request is bounded and the
   * cursor says where it stopped.
   */
  async list(tenant: string, query: JobListQuery): Promise<JobList> {
    let index = this.store.tenantIndex(tenant);
    if (query.label) {
      const colon = query.label.indexOf(':');
      index = this.store.labelIndex(tenant, query.label.slice(0, colon), query.label.slice(colon + 1));
    }
    let before = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const items: JobResource[] = [];
    let scanned = 0;
    while (scanned < MAX_SCAN) {
      const count = Math.min(query.status ? 100 : query.limit, MAX_SCAN - scanned);
      const entries = await this.store.page(index, { ...(before ? { before } : {}), count });
      scanned += entries.length;
      const records = await this.store.getMany(entries.map((entry) => entry.id));
      await this.store.prune(
        index,
        entries.filter((_, i) => !records[i]).map((entry) => entry.member),
      );
      const views = await Promise.all(
        records.map((record) => (record && record.tenant === tenant ? this.viewOf(record) : undefined)),
      );
      for (const [i, entry] of entries.entries()) {
        before = entry.member;
        const view = views[i];
        if (!view || (query.status && view.status !== query.status)) continue;
        items.push(view);
        if (items.length === query.limit) {
          const more = await this.store.page(index, { before, count: 1 });
          return { items, nextCursor: more.length > 0 ? encodeCursor(before) : null };
        }
      }
      if (entries.length < count) return { items, nextCursor: null };
    }
    return { items, nextCursor: before ? encodeCursor(before) : null };
  }

  /**
   * Queued: removed from the queue and recorded cancelled (200). Running: the intent is recorded and
   * workers are told through the `cancel-requested` event (202); the job turns `cancelled` when the
   * worker stops it. Final: 409.
   */
  async cancel(tenant: string, id: string): Promise<{ view: JobResource; accepted: boolean }> {
    const record = await this.own(tenant, id);
    const view = await this.viewOf(record);
    if (FINAL.has(view.status)) throw problem('job_final', `job ${id} is already ${view.status}`);
    const now = new Date().toISOString();
    if (view.status === 'queued') {
      // remove() refuses a job a worker has locked meanwhile; that one is cancelled as running.
      const job = await this.queue.getJob(id);
      const removed = job ? (await this.queue.remove(id)) === 1 : true;
      if (removed) {
        await this.store.markCancelled(id, now);
        const cancelled = await this.viewOf({ ...record, cancelledAt: now });
        await this.outbox.jobFinished(cancelled);
        return { view: cancelled, accepted: false };
      }
    }
    await this.store.requestCancel(id, now);
    await this.events.publishEvent({ eventName: 'cancel-requested', jobId: id });
    return { view: { ...view, cancelRequestedAt: record.cancelRequestedAt ?? now }, accepted: true };
  }

  /**
   * A new job with the spec of a failed or cancelled one, linked by `retryOf`. Its id derives from
   * the retried job's, so a repeated request (a double click, a client retry) answers the job the
   * first one created instead of queueing the work twice; to try again after it failed, retry it.
   * `checkSpec` throws if the spec is no longer allowed (the policy may have changed since).
   */
  async retry(
    tenant: string,
    id: string,
    checkSpec: (spec: JobSpec) => Promise<void> = async () => undefined,
  ): Promise<CreateOutcome> {
    const record = await this.own(tenant, id);
    const view = await this.viewOf(record);
    if (view.status !== 'failed' && view.status !== 'cancelled') {
      throw problem(
        'job_not_retriable',
        `job ${id} is ${view.status}; only a failed or cancelled job can be retried`,
      );
    }
    await checkSpec(record.spec);
    return this.create(tenant, record.spec, { id: derivedId('j', tenant, 'retry', id), retryOf: id });
  }

  async logs(tenant: string, id: string, limit: number): Promise<{ lines: string[]; count: number }> {
    await this.own(tenant, id);
    const { logs, count } = await this.queue.getJobLogs(id, 0, limit - 1, true);
    return { lines: logs, count };
  }
}

/** A new job's record; its id derives from the Idempotency-Key when there is one. */
function newRecord(tenant: string, spec: JobSpec, options: CreateOptions): JobRecord {
  const requestHash = options.idempotencyKey ? sha256Hex(canonicalJson(spec)) : undefined;
  return {
    id: options.idempotencyKey ? derivedId('j', tenant, options.idempotencyKey) : (options.id ?? newId('j')),
    tenant,
    spec,
    createdAt: new Date().toISOString(),
    ...(requestHash ? { requestHash } : {}),
    ...(options.batchId ? { batchId: options.batchId } : {}),
    ...(options.scheduleId ? { scheduleId: options.scheduleId } : {}),
    ...(options.retryOf ? { retryOf: options.retryOf } : {}),
  };
}

export function encodeCursor(member: string): string {
  return Buffer.from(member).toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const member = Buffer.from(cursor, 'base64url').toString();
  if (!isIndexMember(member)) {
    throw validationProblem([{ path: 'query.cursor', message: 'not a cursor this API returned' }]);
  }
  return member;
}
