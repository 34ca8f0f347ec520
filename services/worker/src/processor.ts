/**
 * The sandboxed processor: BullMQ imports this compiled file in a child process (see `processorPath`)
 * and calls its default export once per job, with the job's AbortSignal. TensorFlow work then never
 * blocks the parent's event loop, which keeps renewing the job's lock (research §1.4).
 */
import type { JobResult } from '@ddinit/contracts';
import { JobStore, redisConnection } from '@ddinit/queue';
import type { SandboxedJob } from 'bullmq';
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

export default function processor(
  job: SandboxedJob<unknown, JobResult>,
  _token: string | undefined,
  signal?: AbortSignal,
): Promise<JobResult> {
  return processInitJob(job, signal, config, {
    isCancelRequested: cancelRequested,
    // The engine did not stop: exit once BullMQ has sent the failure, so the stuck work cannot go on
    // writing, nor hold this child for the next job.
    onAbandon: () => setTimeout(() => process.exit(1), 1000),
  });
}
