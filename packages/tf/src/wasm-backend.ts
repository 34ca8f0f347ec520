import os from 'node:os';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { engine, registerBackend, removeBackend, setBackend } from '@tensorflow/tfjs-core';
import type { BackendInfo } from './backend-info.js';
import { registerWasmKernels } from './kernels/register.js';
import { createThreadedWasmBackend, MAX_WASM_THREADS } from './threaded-wasm.js';

/** The priority the package registers `wasm` with; kept so `tf.ready()` ranks it as before. */
const WASM_PRIORITY = 2;

/** Options for {@link loadWasmBackend}. */
export interface WasmOptions {
  /**
   * Threads to compute with. 2 or more uses the threaded-SIMD build; 1 uses the stock SIMD build, which
   * starts no workers.
   * @defaultValue all cores (`os.availableParallelism()`), at most 8
   */
  threads?: number;
}

let installed: Promise<string> | undefined;

/**
 * Makes `wasm` the active backend, with the gradient kernels it lacks, on the threaded-SIMD build when
 * `threads` > 1 and it starts, else on the stock build. Idempotent: the first call decides the build.
 * Throws what `tf.setBackend` throws when even the stock build cannot start.
 */
export async function loadWasmBackend(options: WasmOptions = {}): Promise<BackendInfo> {
  registerWasmKernels();
  const threads = Math.min(options.threads ?? os.availableParallelism(), MAX_WASM_THREADS);
  installed ??= installBuild(threads);
  const detail = await installed;
  if (!(await setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
  return { name: 'wasm', threads: Math.max(1, getThreadsCount()), detail };
}

/** Swaps the registered `wasm` factory for the threaded build; says which build runs. */
async function installBuild(threads: number): Promise<string> {
  if (threads < 2) return 'stock SIMD build, single-threaded';
  if (engine().registry.wasm !== undefined) return 'stock SIMD build, already initialised by someone else';
  try {
    const backend = await createThreadedWasmBackend(threads);
    removeBackend('wasm');
    registerBackend('wasm', () => backend, WASM_PRIORITY);
    return 'threaded SIMD build';
  } catch (error) {
    return `stock SIMD build; the threaded build failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}
