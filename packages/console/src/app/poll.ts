/**
 * Loads data and reloads it on a delay the data decides (quickly while a job is active, not at all
 * once everything is final). A hidden tab waits until it is shown again; a failed load is retried
 * after a while unless the API refused it for good (4xx other than 429).
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from './api.js';

export interface Polled<T> {
  value?: T;
  error?: ApiError;
  /** Loads again now, e.g. after an action changed the data. */
  reload(): void;
}

const RETRY_AFTER_ERROR_MS = 5_000;

export function toApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError(0, 'internal', String(error));
}

export function usePolled<T>(
  load: () => Promise<T>,
  deps: readonly unknown[],
  nextDelayMs: (value: T) => number | undefined,
): Polled<T> {
  const [state, setState] = useState<{ value?: T; error?: ApiError }>({});
  const [generation, setGeneration] = useState(0);
  // The caller names what the load depends on.
  useEffect(() => {
    let stopped = false;
    let timer: number | undefined;
    const schedule = (delay: number | undefined) => {
      if (!stopped && delay !== undefined) timer = window.setTimeout(run, delay);
    };
    async function run(): Promise<void> {
      if (stopped) return;
      if (document.hidden) {
        document.addEventListener('visibilitychange', run, { once: true });
        return;
      }
      try {
        const value = await load();
        if (stopped) return;
        setState({ value });
        schedule(nextDelayMs(value));
      } catch (error) {
        if (stopped) return;
        const apiError = toApiError(error);
        setState((previous) => ({ ...previous, error: apiError }));
        // A refusal stays a refusal; a rate limit (429), an outage (503) or a lost network passes.
        const final = apiError.status >= 400 && apiError.status < 500 && apiError.status !== 429;
        schedule(final ? undefined : RETRY_AFTER_ERROR_MS);
      }
    }
    void run();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
      document.removeEventListener('visibilitychange', run);
    };
  }, [...deps, generation]);
  return { ...state, reload: () => setGeneration((value) => value + 1) };
}

/** Re-renders every `ms`, for "5 s ago" labels and running durations. */
export function useNow(ms = 1_000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), ms);
    return () => window.clearInterval(timer);
  }, [ms]);
  return now;
}
