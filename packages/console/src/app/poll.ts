/**
 * Loads data and reloads it on a delay the data decides (quickly while a job is active, not at all
 * once everything is final). A hidden tab waits until it is shown again; a failed load is retried
 * after a while unless the API refused it for good (4xx other than 429).
 */
import type { Page } from '@ddinit/contracts';
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

export interface OlderPages<T> {
  /** The polled first page's items, then the older pages loaded so far, each item once. */
  items: T[];
  /** Where "more" would continue; null at the end. */
  cursor: string | null;
  loading: boolean;
  error?: ApiError;
  loadMore(): Promise<void>;
}

/**
 * Older pages behind a polled first page, loaded on demand through the API's cursor and dropped when
 * `deps` change (another filter starts from the first page again).
 */
export function useOlderPages<T extends { id: string }>(
  first: Page<T> | undefined,
  loadPage: (cursor: string) => Promise<Page<T>>,
  deps: readonly unknown[],
): OlderPages<T> {
  const [older, setOlder] = useState<Page<T>>({ items: [], nextCursor: null });
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(false);
  // The caller names what the list depends on.
  useEffect(() => setOlder({ items: [], nextCursor: null }), deps);

  const firstItems = first?.items ?? [];
  const seen = new Set(firstItems.map((item) => item.id));
  const cursor = older.items.length > 0 ? older.nextCursor : (first?.nextCursor ?? null);
  return {
    items: [...firstItems, ...older.items.filter((item) => !seen.has(item.id))],
    cursor,
    loading,
    ...(error ? { error } : {}),
    async loadMore() {
      if (!cursor) return;
      setLoading(true);
      try {
        const page = await loadPage(cursor);
        setOlder((previous) => ({ items: [...previous.items, ...page.items], nextCursor: page.nextCursor }));
        setError(undefined);
      } catch (caught) {
        setError(toApiError(caught));
      } finally {
        setLoading(false);
      }
    },
  };
}
