/**
 * The sandboxed processor runs in a child process that BullMQ forks; it gets the configuration the
 * parent already parsed through one environment variable, so both sides use the same values.
 */
import type { WorkerConfig } from './config.js';
import type { ProcessorConfig } from './process-init-job.js';

export const PROCESSOR_CONFIG_ENV = 'DDINIT_PROCESSOR_CONFIG';

/** The part of the worker's configuration its processor child needs, in the variable it reads. */
export function processorConfigEnv(config: WorkerConfig): Record<string, string> {
  const forChild: ProcessorConfig = {
    storage: config.storage,
    backend: config.backend,
    jobTimeoutMs: config.jobTimeoutMs,
    redisUrl: config.redisUrl,
    queuePrefix: config.queuePrefix,
    limits: config.limits,
  };
  return { [PROCESSOR_CONFIG_ENV]: JSON.stringify(forChild) };
}

export function readProcessorConfig(env: Record<string, string | undefined>): ProcessorConfig {
  const json = env[PROCESSOR_CONFIG_ENV];
  if (json === undefined)
    throw new Error(`${PROCESSOR_CONFIG_ENV} is not set: the processor is started by startWorker only`);
  return JSON.parse(json) as ProcessorConfig;
}
