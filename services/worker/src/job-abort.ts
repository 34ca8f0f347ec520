/**
 * Everything that ends a job early (a cancel request, a shutdown, the job timeout) as one AbortSignal
 * whose reason is the error the job fails with. Cancels and timeouts are DdinitErrors, so the job is
 * not retried; a shutdown is a plain Error, so the job is retried on another worker.
 */
import { jobCancelled, jobTimeout } from './errors.js';

/** The reason `worker.cancelJob` passes for a cancel request; it crosses to the child as a string. */
export const CANCEL_REASON = 'cancelled';
/** The reason `worker.cancelAllJobs` passes when the worker shuts down. */
export const SHUTDOWN_REASON = 'shutdown';

export interface JobAbort {
  signal: AbortSignal;
  /** Stops the timer and lets go of the outer signal. */
  dispose(): void;
}

/** Follows BullMQ's signal for the job (`outer`) and aborts on its own after `timeoutMs`. */
export function jobAbort(outer: AbortSignal | undefined, timeoutMs: number): JobAbort {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(jobTimeout(Math.round(timeoutMs / 1000))), timeoutMs);
  const onAbort = () => controller.abort(abortError(outer?.reason));
  if (outer?.aborted) onAbort();
  else outer?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    },
  };
}

/** The error for a reason BullMQ aborted a job with. */
export function abortError(reason: unknown): Error {
  if (reason === CANCEL_REASON) return jobCancelled();
  if (reason === SHUTDOWN_REASON)
    return new Error('the worker shut down before the job finished; another worker will retry it');
  // Anything else (a lost lock, say) says nothing about the job itself: retry it.
  return new Error(`the job was aborted (${reason instanceof Error ? reason.message : String(reason)})`);
}
