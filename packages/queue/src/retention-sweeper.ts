/**
 * BullMQ applies `removeOnComplete`/`removeOnFail` ages only when a later job finishes, so the jobs
 * that finished last before a quiet spell would stay in Redis for good. The sweeper removes finished
 * jobs past their retention on a timer, whether or not new jobs arrive.
 */
import type { Queue } from 'bullmq';
import type { JobRetention } from './init-queue.js';

/** Jobs removed per clean call; BullMQ's clean runs as one Lua script, so keep each one short. */
const BATCH = 1_000;

export interface RetentionSweeperOptions {
  /**
   * Time between sweeps.
   * @defaultValue half the shorter retention, between 1 s and 60 s
   */
  intervalMs?: number;
  /** Called with a sweep's error (Redis away, say); the next sweep tries again. */
  onError?: (error: unknown) => void;
}

export interface RetentionSweeper {
  /** Stops the timer and waits for a sweep in progress. */
  stop(): Promise<void>;
}

/** Removes finished jobs past their retention; returns how many went. */
export async function sweepFinishedJobs(queue: Queue, retention: JobRetention): Promise<number> {
  let removed = 0;
  for (const [type, seconds] of [
    ['completed', retention.completedSeconds],
    ['failed', retention.failedSeconds],
  ] as const) {
    for (;;) {
      const ids = await queue.clean(seconds * 1000, BATCH, type);
      removed += ids.length;
      if (ids.length < BATCH) break;
    }
  }
  return removed;
}

export function startRetentionSweeper(
  queue: Queue,
  retention: JobRetention,
  options: RetentionSweeperOptions = {},
): RetentionSweeper {
  const shorter = Math.min(retention.completedSeconds, retention.failedSeconds) * 1000;
  const intervalMs = options.intervalMs ?? Math.min(Math.max(shorter / 2, 1_000), 60_000);
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    // A sweep still running when the next is due is left to finish; sweeps never overlap.
    running ??= sweepFinishedJobs(queue, retention)
      .then(
        () => undefined,
        (error: unknown) => options.onError?.(error),
      )
      .finally(() => {
        running = undefined;
      });
  }, intervalMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
