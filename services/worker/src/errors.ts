import { defineError } from '@ddinit/contracts';

export const configInvalid = defineError(
  'config_invalid',
  (problems: string[]) => `invalid worker configuration:\n${problems.map((line) => `  ${line}`).join('\n')}`,
);
export const jobDataInvalid = defineError(
  'job_data_invalid',
  (problem: string) => `the job data is not an init job: ${problem}`,
);
export const jobCancelled = defineError('cancelled', () => 'the job was cancelled on request');
export const jobTimeout = defineError(
  'timeout',
  (seconds: number) => `the job ran longer than ${seconds} s (DDINIT_JOB_TIMEOUT_S)`,
);
