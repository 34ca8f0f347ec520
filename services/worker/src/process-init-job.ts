/**
 * One init job as the sandboxed processor runs it: job data → stores → runInitJob → JobResult, with
 * progress, cancellation and the timeout. Expected failures (bad input, cancel, timeout) leave as
 * UnrecoverableError so BullMQ does not retry them; anything else propagates and is retried.
 */
import { isDdinitError, type JobProgress, type JobResult, type Limits } from '@ddinit/contracts';
import { runInitJob } from '@ddinit/pipeline';
import { InitJobData } from '@ddinit/queue';
import {
  asFolder,
  isTransientStorageError,
  MODEL_JSON,
  openStorage,
  type StorageConfig,
} from '@ddinit/storage';
import { type BackendName, selectBackend } from '@ddinit/tf';
import { UnrecoverableError } from 'bullmq';
import { attemptFolder, committedByJob, removeAbandonedAttempts } from './attempts.js';
import { jobCancelled, jobDataInvalid, jobTimeout } from './errors.js';
import { jobAbort } from './job-abort.js';
import { ProgressReporter } from './progress-reporter.js';

/** The part of a BullMQ (sandboxed) job the processor uses. */
export interface InitJobHandle {
  id?: string;
  data: unknown;
  /** 1 on the first run; counts every start, stalled re-runs included. */
  attemptsStarted: number;
  updateProgress(progress: JobProgress): Promise<void>;
}

/** What the processor needs of the worker's configuration. */
export interface ProcessorConfig {
  storage: StorageConfig;
  backend: BackendName | 'auto';
  jobTimeoutMs: number;
  /** Where the API records cancel requests (its JobStore), so a job cancelled while not running never starts. */
  redisUrl: string;
  queuePrefix: string;
  /** Bounds on the job's model and data; absent ones keep `DEFAULT_LIMITS`. */
  limits?: Partial<Limits>;
}

export interface ProcessInitJobOptions {
  /**
   * After an abort, how long to wait for the engine to stop before failing the job anyway. The engine
   * checks the signal between layers and batches; an I/O call that hangs does not.
   * @defaultValue 30_000
   */
  abandonAfterMs?: number;
  /** Called when the job is failed without the engine having stopped; its work may still be running. */
  onAbandon?: () => void;
  /** Called when the job fails for running past its time limit, once its failure is on its way. */
  onTimeout?: () => void;
  /**
   * Whether a cancel was requested while no worker ran the job (queued, or between attempts): the
   * cancel event only reaches running jobs.
   */
  isCancelRequested?: (jobId: string) => Promise<boolean>;
}

export async function processInitJob(
  job: InitJobHandle,
  signal: AbortSignal | undefined,
  config: ProcessorConfig,
  options: ProcessInitJobOptions = {},
): Promise<JobResult> {
  const abort = jobAbort(signal, config.jobTimeoutMs);
  const progress = new ProgressReporter((value) => job.updateProgress(value));
  try {
    const work = (async () => {
      if (job.id !== undefined && (await options.isCancelRequested?.(job.id))) throw jobCancelled();
      return runJob(job, abort.signal, config, progress);
    })();
    const result = await settleOrAbandon(
      work,
      abort.signal,
      options.abandonAfterMs ?? 30_000,
      options.onAbandon,
    );
    await progress.flush();
    return result;
  } catch (error) {
    progress.stop();
    // Once aborted, the abort is the story: the engine's own error is only its echo.
    const reason = abort.signal.aborted ? abort.signal.reason : error;
    if (isDdinitError(reason) && reason.code === jobTimeout.code) options.onTimeout?.();
    throw forBullmq(reason);
  } finally {
    abort.dispose();
  }
}

async function runJob(
  job: InitJobHandle,
  signal: AbortSignal,
  config: ProcessorConfig,
  progress: ProgressReporter,
): Promise<JobResult> {
  const parsed = InitJobData.safeParse(job.data);
  if (!parsed.success)
    throw jobDataInvalid(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  if (job.id === undefined) throw jobDataInvalid('the job has no id');
  const { spec } = parsed.data;
  const model = openStorage(spec.model.uri, config.storage);
  const data = openStorage(spec.dataset.uri, config.storage);
  const output = openStorage(spec.output.uri, config.storage);
  const outputFolder = asFolder(output.key);
  const modelJsonKey = outputFolder + MODEL_JSON;

  const backend = await selectBackend(config.backend);
  const { report, files } = await runInitJob({
    model,
    data: { store: data.store, prefix: data.key, preprocessing: spec.dataset.preprocessing },
    output: {
      store: output.store,
      prefix: output.key,
      overwrite: await committedByJob(output.store, modelJsonKey, job.id),
      shardFolder: attemptFolder(job.id, job.attemptsStarted),
    },
    options: { ...spec.init, sample: spec.dataset.sample, heldOut: spec.dataset.heldOut },
    limits: config.limits,
    backend,
    signal,
    onProgress: (value) => progress.report(value),
  });
  await removeAbandonedAttempts(output.store, outputFolder, job.id, job.attemptsStarted);
  return {
    checkpoint: output.store.uri(modelJsonKey),
    files: files.map(({ uri, bytes, sha256 }) => ({ uri, bytes, sha256 })),
    report,
  };
}

/** `work`, or the signal's reason if `work` has not settled `graceMs` after an abort. */
function settleOrAbandon<T>(
  work: Promise<T>,
  signal: AbortSignal,
  graceMs: number,
  onAbandon: (() => void) | undefined,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      timer = setTimeout(() => {
        onAbandon?.();
        reject(signal.reason);
      }, graceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    });
  });
}

/**
 * DdinitErrors (the job's own fault, or a cancel or timeout) must not be retried. Transient storage
 * errors are, and carry their code in the reason, so a job whose last try fails too reads
 * `storage_unavailable: …` rather than an anonymous failure.
 */
function forBullmq(error: unknown): Error {
  if (isDdinitError(error)) return new UnrecoverableError(`${error.code}: ${error.message}`);
  if (isTransientStorageError(error)) return new Error(`${error.code}: ${error.message}`);
  return error instanceof Error ? error : new Error(String(error));
}
