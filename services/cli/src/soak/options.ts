/** The soak run's settings, from `npm run soak -- --jobs 1000 …` or from a test. */
import { parseArgs } from 'node:util';

export interface SoakOptions {
  /** Jobs submitted in all. @defaultValue 1000 */
  jobs: number;
  /** Worker processes kept running. @defaultValue 2 */
  workers: number;
  /** Share of jobs that get a cancel request, at a random moment while queued or running. @defaultValue 0.1 */
  cancelRate: number;
  /**
   * A cancel is sent at a uniformly random moment this many ms after submission; keep it near a job's
   * time from submission to final, or most cancels find the job finished. @defaultValue 3000
   */
  cancelWithinMs: number;
  /** Mean seconds between worker SIGKILLs (each killed worker is replaced at once); 0 kills none. @defaultValue 20 */
  killIntervalS: number;
  /** Seeds every random choice: which jobs are cancelled and when, which worker is killed and when. @defaultValue 1 */
  seed: number;
  /** Jobs submitted but not yet final, at most; submission waits below it. @defaultValue 3 per worker */
  inFlight: number;
  /** BullMQ retention of finished jobs, in seconds (the API's DDINIT_*_RETENTION_S). @defaultValue 5 */
  retentionS: number;
  /** Job record TTL, in seconds (the API's job record TTL); must outlast a job from submission to final. @defaultValue 60 */
  recordTtlS: number;
  /** Worker lock duration in ms (DDINIT_LOCK_MS): how soon a killed worker's job is retried. @defaultValue 3000 */
  lockMs: number;
  /** Gives up (and fails) after this many seconds. @defaultValue 10 s per job + 120 */
  timeoutS: number;
  /** `DDINIT_BACKEND` of the workers. @defaultValue 'wasm' */
  backend: string;
  redisUrl: string;
  /** Also written as JSON to this file. */
  summaryFile?: string;
  /** Every log line of every worker, prefixed with its pid, appended to this file. */
  workerLogFile?: string;
  /** Keep the temporary folder (model, images, checkpoints) for inspection. @defaultValue false */
  keep: boolean;
}

export function parseSoakOptions(argv: readonly string[], env: NodeJS.ProcessEnv = {}): SoakOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      jobs: { type: 'string' },
      workers: { type: 'string' },
      'cancel-rate': { type: 'string' },
      'cancel-within': { type: 'string' },
      'kill-interval': { type: 'string' },
      seed: { type: 'string' },
      'in-flight': { type: 'string' },
      retention: { type: 'string' },
      'record-ttl': { type: 'string' },
      'lock-ms': { type: 'string' },
      timeout: { type: 'string' },
      backend: { type: 'string' },
      summary: { type: 'string' },
      'worker-log': { type: 'string' },
      keep: { type: 'boolean' },
    },
    strict: true,
  });
  const jobs = whole('--jobs', values.jobs, 1000, 1);
  const workers = whole('--workers', values.workers, 2, 1);
  return {
    jobs,
    workers,
    cancelRate: fraction('--cancel-rate', values['cancel-rate'], 0.1),
    cancelWithinMs: positive('--cancel-within', values['cancel-within'], 3000),
    killIntervalS: positive('--kill-interval', values['kill-interval'], 20),
    seed: whole('--seed', values.seed, 1, 0),
    inFlight: whole('--in-flight', values['in-flight'], 3 * workers, 1),
    retentionS: whole('--retention', values.retention, 5, 1),
    recordTtlS: whole('--record-ttl', values['record-ttl'], 60, 5),
    lockMs: whole('--lock-ms', values['lock-ms'], 3000, 1000),
    timeoutS: whole('--timeout', values.timeout, 10 * jobs + 120, 1),
    backend: values.backend ?? 'wasm',
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    ...(values.summary !== undefined && { summaryFile: values.summary }),
    ...(values['worker-log'] !== undefined && { workerLogFile: values['worker-log'] }),
    keep: values.keep ?? false,
  };
}

function number(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value))
    throw new Error(`${flag} must be a number, got "${text}"`);
  return value;
}

function whole(flag: string, text: string | undefined, fallback: number, min: number): number {
  const value = number(flag, text, fallback);
  if (!Number.isSafeInteger(value) || value < min)
    throw new Error(`${flag} must be a whole number of at least ${min}, got ${text}`);
  return value;
}

function positive(flag: string, text: string | undefined, fallback: number): number {
  const value = number(flag, text, fallback);
  if (value < 0) throw new Error(`${flag} must be 0 or more, got ${text}`);
  return value;
}

function fraction(flag: string, text: string | undefined, fallback: number): number {
  const value = number(flag, text, fallback);
  if (value < 0 || value > 1) throw new Error(`${flag} must be between 0 and 1, got ${text}`);
  return value;
}
