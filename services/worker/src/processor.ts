/**
 * The sandboxed processor: BullMQ imports this compiled file in a child process (see `processorPath`)
 * and calls its default export once per job, with the job's AbortSignal. TensorFlow work then never
 * blocks the parent's event loop, which keeps renewing the job's lock (research §1.4).
 */
import type { JobResult } from '@ddinit/contracts';
import { JobStore, redisConnection } from '@ddinit/queue';
import { type SandboxedJob, WaitingError } from 'bullmq';
import { SHUTDOWN_REASON } from './job-abort.js';
import { processInitJob } from './process-init-job.js';
import { readProcessorConfig } from './processor-config.js';

const config = readProcessorConfig(process.env);
let jobStore: JobStore | undefined;
/** One connection per child, opened on its first job. */
const cancelRequested = (jobId: string) => {
  jobStore ??= new JobStore(redisConnection(config.redisUrl, 'worker'), { prefix: config.queuePrefix });
  return jobStore.isCancelRequested(jobId);
};

// A child whose worker died (SIGKILL, OOM) would otherwise finish the job unseen and could commit a
// model.json after the job's retry has committed its own. The IPC channel closes with the parent.
process.once('disconnect', () => process.exit(1));

export default async function processor(
  job: SandboxedJob<unknown, JobResult>,
  token: string | undefined,
  signal?: AbortSignal,
): Promise<JobResult> {
  try {
    return await processInitJob(job, signal, config, {
      isCancelRequested: cancelRequested,
      // The engine did not stop: exit once BullMQ has sent the failure, so the stuck work cannot go on
      // writing, nor hold this child for the next job.
      onAbandon: () => setTimeout(() => process.exit(1), 1000),
      // A job that ran out of time may have left a call hanging: this child leaves with it, right
      // after the failure is sent (the IPC channel delivers it before the disconnect).
      onTimeout: () => setImmediate(() => process.disconnect()),
    });
  } catch (error) {
    // A shutdown is no fault of the job: hand it back to the front of the queue (lock released, no
    // attempt spent), so rolling restarts can never use up its retries. WaitingError tells BullMQ
    // the job has been moved already.
    if (signal?.reason === SHUTDOWN_REASON && token !== undefined) {
      await job.moveToWait(token);
      throw new WaitingError();
    }
    throw error;
  }
}
