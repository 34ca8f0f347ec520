/**
 * Runs `task` over `items` with at most `concurrency` in flight, stopping at the first failure.
 * Rejects with `signal.reason` as soon as `signal` aborts, without waiting for tasks already running.
 */
export async function forEachBounded<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  signal?.throwIfAborted();
  let next = 0;
  let stopped = false;
  const worker = async (): Promise<void> => {
    while (!stopped && next < items.length) {
      signal?.throwIfAborted();
      const index = next++;
      try {
        await task(items[index]!, index);
      } catch (error) {
        stopped = true;
        throw error;
      }
    }
  };
  const workers = Promise.all(
    Array.from({ length: Math.min(Math.max(1, concurrency), items.length) }, worker),
  );
  if (!signal) {
    await workers;
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      stopped = true;
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    workers.then(() => resolve(), reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
