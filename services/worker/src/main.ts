/**
 * The ddinit worker: a BullMQ Worker on the init queue whose processor runs in a child process, one
 * job at a time. The parent keeps the job's lock, relays progress, hears cancel requests and shuts
 * down gracefully; the child does the TensorFlow work.
 */
import { fileURLToPath } from 'node:url';
import { INIT_JOB_ATTEMPTS, INIT_QUEUE, redisConnection } from '@ddinit/queue';
import { Worker } from 'bullmq';
import { listenForCancels } from './cancel-listener.js';
import type { WorkerConfig } from './config.js';
import { type HealthServer, startHealthServer, type WorkerStats } from './health-server.js';
import { SHUTDOWN_REASON } from './job-abort.js';
import { jsonLog, type Log } from './log.js';
import { processorConfigEnv } from './processor-config.js';

export { CANCEL_EVENT } from './cancel-listener.js';
export { loadConfig, type WorkerConfig } from './config.js';
export type { Log, LogLevel } from './log.js';

/**
 * The compiled processor that BullMQ forks. Resolved from the package root so it points at `dist/`
 * whether this module runs compiled or from source (tests).
 */
export const processorPath = fileURLToPath(new URL('../dist/processor.js', import.meta.url));

export interface StartWorkerOptions {
  /**
   * Close the worker on SIGTERM and SIGINT.
   * @defaultValue `true`
   */
  handleSignals?: boolean;
  /** @defaultValue JSON lines on stderr */
  log?: Log;
}

export interface WorkerHandle {
  worker: Worker;
  /** The health server's port, when `config.healthPort` is set. */
  healthPort?: number;
  /**
   * Stops taking jobs, waits up to `shutdownGraceMs` for the running one, then aborts it and hands it
   * back to the queue (another worker runs it; no attempt is spent) and closes every connection. Safe to
   * call more than once.
   */
  close(): Promise<void>;
}

export async function startWorker(
  config: WorkerConfig,
  options: StartWorkerOptions = {},
): Promise<WorkerHandle> {
  const log = options.log ?? jsonLog;
  const connection = redisConnection(config.redisUrl, 'worker');
  const eventsConnection = redisConnection(config.redisUrl, 'worker');
  const stats: WorkerStats = { running: false, activeJobs: 0, completedJobs: 0, failedJobs: 0 };

  const worker = new Worker(INIT_QUEUE, processorPath, {
    connection,
    prefix: config.queuePrefix,
    // One job per process: TensorFlow uses every core (and the GPU) already.
    concurrency: 1,
    lockDuration: config.lockMs,
    stalledInterval: config.stalledIntervalMs ?? Math.min(config.lockMs, 30_000),
    // A job whose worker died is run again as often as a job that failed would be; BullMQ's default
    // fails it for good at its second stall, attempts left or not.
    maxStalledCount: INIT_JOB_ATTEMPTS - 1,
    // Child processes, never worker threads: tfjs-node cannot load in a second thread (research §1.5).
    useWorkerThreads: false,
    // Started below, once the cancel listener and signal handlers are in place.
    autorun: false,
    workerForkOptions: {
      env: {
        ...process.env,
        ...processorConfigEnv(config),
      },
    },
  });
  worker.on('error', (error) => log('error', 'worker error', { error: String(error) }));
  worker.on('active', (job) => {
    stats.activeJobs++;
    log('info', 'job started', { jobId: job.id, attempt: job.attemptsStarted });
  });
  worker.on('completed', (job) => {
    stats.activeJobs = Math.max(0, stats.activeJobs - 1);
    stats.completedJobs++;
    log('info', 'job completed', { jobId: job.id, checkpoint: job.returnvalue?.checkpoint });
  });
  worker.on('failed', (job, error) => {
    stats.activeJobs = Math.max(0, stats.activeJobs - 1);
    stats.failedJobs++;
    log('warn', 'job failed', { jobId: job?.id, attempt: job?.attemptsMade, reason: error.message });
  });
  worker.on('lockRenewalFailed', (jobIds) => {
    // Another worker may already run these jobs again: stop ours rather than race it (BullMQ's advice).
    log('warn', 'lost the lock of jobs; aborting them here', { jobIds });
    for (const jobId of jobIds) worker.cancelJob(jobId, 'lock lost');
  });

  const events = await listenForCancels(worker, eventsConnection, config.queuePrefix, log);
  await worker.waitUntilReady();
  stats.running = true;
  const health: HealthServer | undefined =
    config.healthPort === undefined
      ? undefined
      : // Healthy only while Redis answers too: a worker cut off from it takes no jobs.
        await startHealthServer(config.healthPort, () => ({
          ...stats,
          running: stats.running && connection.status === 'ready',
        }));

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      stats.running = false;
      log('info', 'worker closing');
      if (await closeWithin(worker, config.shutdownGraceMs, log)) {
        await events.close();
        await health?.close();
        await Promise.all([connection.quit(), eventsConnection.quit()]);
      } else {
        // Waiting longer would outlast the platform's kill timeout. A job still marked active is
        // retried once its lock expires.
        await health?.close();
        await settlesWithin(Promise.all([events.disconnect(), worker.disconnect()]), 1_000);
        connection.disconnect();
        eventsConnection.disconnect();
      }
      removeSignalHandlers();
      log('info', 'worker closed');
    })();
    return closing;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    log('info', 'signal received', { signal });
    void close();
  };
  const removeSignalHandlers = () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
  if (options.handleSignals ?? true) {
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
  worker.run().catch((error) => log('error', 'worker stopped', { error: String(error) }));
  log('info', 'worker started', {
    queue: INIT_QUEUE,
    prefix: config.queuePrefix,
    backend: config.backend,
    ...(health && { healthPort: health.port }),
  });
  return { worker, ...(health && { healthPort: health.port }), close };
}

/**
 * After the running job was aborted, the most the close may still take. The abort stops the engine
 * between layers and the job is handed back in a round trip; a close that takes longer is waiting on
 * a Redis that does not answer.
 */
const CLOSE_AFTER_ABORT_MS = 5_000;

/** Whether `work` settles within `ms`. */
async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  // A close that failed has settled too: there is nothing left to wait for.
  const settled = await Promise.race([
    work.then(
      () => true,
      () => true,
    ),
    timeout,
  ]);
  clearTimeout(timer);
  return settled;
}

/**
 * `worker.close()` waits for the running job without limit; past the grace period the job is aborted
 * as a shutdown, which the processor answers by moving the job back to the queue, and the close then
 * completes. BullMQ's close also waits for Redis without limit: false when it did not complete
 * CLOSE_AFTER_ABORT_MS after the grace period.
 */
async function closeWithin(worker: Worker, graceMs: number, log: Log): Promise<boolean> {
  const closed = worker.close();
  if (await settlesWithin(closed, graceMs)) return true;
  log('warn', 'shutdown grace period over: aborting the running job and handing it back to the queue');
  worker.cancelAllJobs(SHUTDOWN_REASON);
  if (await settlesWithin(closed, CLOSE_AFTER_ABORT_MS)) return true;
  log(
    'warn',
    'the worker did not close in time (Redis not answering, or a job that does not stop): disconnecting',
  );
  return false;
}
