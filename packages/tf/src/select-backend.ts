import '@tensorflow/tfjs-backend-cpu';
import { getBackend, setBackend } from '@tensorflow/tfjs-core';
import {
  BACKEND_NAMES,
  type BackendInfo,
  type BackendName,
  isBackendName,
  tfjsBackendName,
} from './backend-info.js';
import { backendUnavailable, backendUnknown } from './errors.js';
import { loadNativeBackend } from './native-backend.js';
import { loadWasmBackend } from './wasm-backend.js';

/** Environment variable naming the backend when `selectBackend` gets no preference. */
export const BACKEND_ENV = 'DDINIT_BACKEND';

const AUTO_ORDER: readonly BackendName[] = BACKEND_NAMES;

/** One load per backend per process: later calls reuse it and only switch the active backend. */
const loads = new Map<BackendName | 'auto', Promise<BackendInfo>>();

/**
 * Picks the TensorFlow.js backend and makes it active.
 *
 * - `auto` tries, in order, `tensorflow-gpu` (`@tensorflow/tfjs-node-gpu`, GPU in use), `tensorflow`
 *   (`@tensorflow/tfjs-node`), `wasm` (threaded SIMD on all cores, else the stock build, with the
 *   gradient kernels of this package) and `cpu`; it never loads both native packages.
 * - A named backend that cannot load throws a `DdinitError` with code `backend_unavailable`.
 *
 * @param preference - a backend or `auto`; when undefined, `DDINIT_BACKEND`, else `auto`.
 * @returns the backend now active and the threads it computes with.
 * @throws DdinitError `backend_unknown` for a name that is not a backend.
 */
export async function selectBackend(preference?: BackendName | 'auto'): Promise<BackendInfo> {
  const choice = resolvePreference(preference);
  let load = loads.get(choice);
  if (load === undefined) {
    load = choice === 'auto' ? loadFirstAvailable() : loadBackend(choice);
    loads.set(choice, load);
    // A failed load may succeed later (say, after an install); do not cache the failure.
    load.catch(() => loads.delete(choice));
  }
  const info = await load;
  await activate(info);
  return info;
}

function resolvePreference(preference: BackendName | 'auto' | undefined): BackendName | 'auto' {
  const value = preference ?? process.env[BACKEND_ENV]?.trim() ?? 'auto';
  if (value === '' || value === 'auto') return 'auto';
  if (!isBackendName(value)) throw backendUnknown(value, BACKEND_NAMES);
  return value;
}

async function loadFirstAvailable(): Promise<BackendInfo> {
  const skipped: string[] = [];
  for (const name of AUTO_ORDER) {
    try {
      const info = await loadBackend(name);
      const detail = [info.detail, ...skipped].filter(Boolean).join('; ');
      return detail === '' ? info : { ...info, detail };
    } catch (error) {
      skipped.push(`skipped ${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw backendUnavailable('auto', skipped.join('; '));
}

async function loadBackend(name: BackendName): Promise<BackendInfo> {
  switch (name) {
    case 'tensorflow-gpu':
    case 'tensorflow':
      return loadNativeBackend(name);
    case 'wasm':
      try {
        return await loadWasmBackend();
      } catch (error) {
        throw backendUnavailable(name, error instanceof Error ? error.message : String(error));
      }
    case 'cpu':
      if (!(await setBackend('cpu'))) throw backendUnavailable(name, 'tf.setBackend("cpu") failed');
      return { name, threads: 1 };
  }
}

/** Makes a loaded backend active again when something switched away from it. */
async function activate(info: BackendInfo): Promise<void> {
  const tfjsName = tfjsBackendName(info.name);
  if (getBackend() === tfjsName) return;
  if (!(await setBackend(tfjsName))) {
    throw backendUnavailable(info.name, `tf.setBackend("${tfjsName}") failed`);
  }
}
