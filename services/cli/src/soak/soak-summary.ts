/** The soak's figures and the checks that decide whether it passed. */
import type { JobResource } from '@ddinit/contracts';
import type { SoakOptions } from './options.js';
import type { Footprint } from './redis-footprint.js';
import type { CheckpointCheck } from './verify-checkpoint.js';
import type { WorkerPoolFigures } from './worker-pool.js';

/** One submitted job as the soak followed it. */
export interface JobTrack {
  n: number;
  id: string;
  submittedAt: number;
  /** When to send a cancel request, for the jobs drawn to get one. */
  cancelAt?: number;
  /** HTTP status of the cancel request: 200 removed while queued, 202 asked of the worker, 409 already final. */
  cancelAnswer?: number;
  view?: JobResource;
  finishedAt?: number;
  checkpoint?: CheckpointCheck;
  /** For a cancelled job: whether a model.json was committed anyway (the cancel came during the commit). */
  committedBeforeCancel?: boolean;
  /** Why the job could not be followed to its end. */
  lost?: string;
}

export interface Check {
  ok: boolean;
  detail: string;
}

export interface SoakSummary {
  ok: boolean;
  settings: Omit<SoakOptions, 'summaryFile' | 'workerLogFile' | 'keep' | 'redisUrl'>;
  elapsedS: number;
  /** Final jobs per second, from the first submission to the last final state. */
  jobsPerSecond: number;
  statuses: Record<string, number>;
  failures: Record<string, number>;
  workers: { started: number; killed: number; lockLosses: number; orphans: number };
  cancels: {
    requested: number;
    answered: Record<string, number>;
    ended: Record<string, number>;
    /** Cancelled jobs whose model.json was written all the same (cancel during the commit). */
    committedAnyway: number;
  };
  retries: { jobsRetried: number; attempts: Record<string, number> };
  /** Seconds from submission to final state of succeeded jobs. */
  latencyS: { p50: number; p95: number; max: number };
  throttled: number;
  redis: { baseline: Footprint; after: Footprint; settledAfterS: number };
  checks: Record<string, Check>;
}

export interface SummaryInput {
  options: SoakOptions;
  jobs: JobTrack[];
  pool: WorkerPoolFigures;
  completedEvents: Map<string, number>;
  throttled: number;
  footprint: { baseline: Footprint; after: Footprint; settledAfterS: number };
  elapsedS: number;
}

/** Slack for queue-level keys that appear with the first events (the notifier's stream position). */
const QUEUE_KEYS_SLACK_BYTES = 4_096;

export function summarize(input: SummaryInput): SoakSummary {
  const { options, jobs, pool, completedEvents, footprint } = input;
  const statuses: Record<string, number> = {};
  const failures: Record<string, number> = {};
  const attempts: Record<string, number> = {};
  const cancelAnswers: Record<string, number> = {};
  const cancelEnds: Record<string, number> = {};
  const latencies: number[] = [];
  for (const job of jobs) {
    const status = job.view?.status ?? 'not final';
    count(statuses, status);
    if (job.view?.status === 'failed') count(failures, job.view.error?.code ?? 'none');
    if (job.view) count(attempts, String(job.view.attempts));
    if (job.cancelAnswer !== undefined) {
      count(cancelAnswers, String(job.cancelAnswer));
      count(cancelEnds, status);
    }
    if (status === 'succeeded' && job.finishedAt) latencies.push((job.finishedAt - job.submittedAt) / 1000);
  }
  latencies.sort((a, b) => a - b);

  const { baseline, after } = footprint;
  const queueBytes = (f: Footprint) => f.bytes - f.jobBytes - f.eventsStream.bytes;
  const checks: Record<string, Check> = {
    allFinal: check(
      jobs.length === options.jobs && jobs.every((job) => job.view !== undefined),
      `${jobs.length} of ${options.jobs} submitted; not final: ${describe(jobs.filter((job) => !job.view))}`,
    ),
    checkpointsVerified: check(
      jobs.every((job) => job.view?.status !== 'succeeded' || job.checkpoint?.problems.length === 0),
      firstProblems(jobs),
    ),
    checkpointFromOneAttempt: check(
      jobs.every(
        (job) =>
          job.view?.status !== 'succeeded' ||
          (job.checkpoint?.attempt !== undefined && job.checkpoint.attempt <= job.view.attempts),
      ),
      'every checkpoint names the weights of one attempt, no later than the attempts the job counts',
    ),
    completedOnce: check(
      jobs.every((job) => (completedEvents.get(job.id) ?? 0) === (job.view?.status === 'succeeded' ? 1 : 0)),
      `completed events per job: ${histogram(jobs.map((job) => completedEvents.get(job.id) ?? 0))}`,
    ),
    completedOnceInWorkerLogs: check(
      jobs.every((job) => (pool.completions.get(job.id) ?? 0) <= 1),
      `"job completed" log lines per job: ${histogram(jobs.map((job) => pool.completions.get(job.id) ?? 0))}`,
    ),
    cancelledWhileQueuedNeverRan: check(
      jobs.every(
        (job) => job.cancelAnswer !== 200 || (job.view?.status === 'cancelled' && !job.committedBeforeCancel),
      ),
      'a job a cancel removed from the queue (200) ends cancelled, with no checkpoint',
    ),
    noOrphanProcesses: check(pool.orphans.length === 0, `orphaned sandbox processes: ${pool.orphans.length}`),
    jobKeysRemoved: check(
      after.jobKeys === 0,
      `${after.jobKeys} per-job keys (${after.jobBytes} B) left after retention`,
    ),
    queueKeysAtBaseline: check(
      queueBytes(after) <= queueBytes(baseline) + QUEUE_KEYS_SLACK_BYTES,
      `queue-level keys: ${queueBytes(baseline)} B before, ${queueBytes(after)} B after (events stream apart)`,
    ),
  };
  return {
    ok: Object.values(checks).every((c) => c.ok),
    settings: {
      jobs: options.jobs,
      workers: options.workers,
      cancelRate: options.cancelRate,
      cancelWithinMs: options.cancelWithinMs,
      killIntervalS: options.killIntervalS,
      seed: options.seed,
      inFlight: options.inFlight,
      retentionS: options.retentionS,
      recordTtlS: options.recordTtlS,
      lockMs: options.lockMs,
      timeoutS: options.timeoutS,
      backend: options.backend,
    },
    elapsedS: round(input.elapsedS),
    jobsPerSecond: round(jobs.filter((job) => job.view).length / input.elapsedS),
    statuses,
    failures,
    workers: {
      started: pool.started,
      killed: pool.killed,
      lockLosses: pool.lockLosses,
      orphans: pool.orphans.length,
    },
    cancels: {
      requested: jobs.filter((job) => job.cancelAnswer !== undefined).length,
      answered: cancelAnswers,
      ended: cancelEnds,
      committedAnyway: jobs.filter((job) => job.committedBeforeCancel).length,
    },
    retries: { jobsRetried: jobs.filter((job) => (job.view?.attempts ?? 0) > 1).length, attempts },
    latencyS: { p50: quantile(latencies, 0.5), p95: quantile(latencies, 0.95), max: latencies.at(-1) ?? 0 },
    throttled: input.throttled,
    redis: { ...footprint, settledAfterS: round(footprint.settledAfterS) },
    checks,
  };
}

function count(into: Record<string, number>, key: string): void {
  into[key] = (into[key] ?? 0) + 1;
}

function check(ok: boolean, detail: string): Check {
  return { ok, detail };
}

function describe(jobs: JobTrack[]): string {
  if (jobs.length === 0) return 'none';
  return jobs
    .slice(0, 5)
    .map((job) => `${job.id}${job.lost ? ` (${job.lost})` : ''}`)
    .join(', ');
}

function firstProblems(jobs: JobTrack[]): string {
  const problems = jobs.flatMap((job) => (job.checkpoint?.problems ?? []).map((p) => `${job.id}: ${p}`));
  const verified = jobs.filter((job) => job.checkpoint?.problems.length === 0).length;
  return problems.length === 0 ? `${verified} checkpoints verified` : problems.slice(0, 5).join('; ');
}

/** `{ "0": 12, "1": 30 }` as text. */
function histogram(values: number[]): string {
  const bins: Record<string, number> = {};
  for (const value of values) count(bins, String(value));
  return JSON.stringify(bins);
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
