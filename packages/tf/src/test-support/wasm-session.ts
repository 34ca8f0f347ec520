import type { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../index.js';

/**
 * Starts the wasm backend (threaded build, kernels of this package) before a test file's tests and
 * frees it after them. Each jest test file loads its own tfjs, so each starts its own pthread
 * workers; they are terminated here, and awaited, rather than torn down when the jest worker exits,
 * which jest may find too slow on a busy machine.
 */
export function useWasmBackend(): void {
  beforeAll(async () => {
    await selectBackend('wasm');
  });
  afterAll(releaseWasmBackend);
}

/** Removes the wasm backend and waits for its pthread workers to stop. */
export async function releaseWasmBackend(): Promise<void> {
  const engine = tf.engine();
  if (engine.registryFactory.wasm === undefined) return;
  const module = (engine.registry.wasm as { wasm?: { PThread?: { runningWorkers: Worker[] } } } | undefined)
    ?.wasm;
  const workers = [...(module?.PThread?.runningWorkers ?? [])];
  tf.removeBackend('wasm');
  await Promise.all(workers.map((worker) => worker.terminate()));
}
