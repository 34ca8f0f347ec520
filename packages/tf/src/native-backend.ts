import os from 'node:os';
import { backend, setBackend } from '@tensorflow/tfjs-core';
import type { BackendInfo } from './backend-info.js';
import { backendUnavailable } from './errors.js';

type NativeName = 'tensorflow-gpu' | 'tensorflow';

const PACKAGES: Record<NativeName, string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};

/** The native package this process loaded; both register backend `tensorflow`, so never a second. */
let loadedPackage: string | undefined;

/**
 * Loads a libtensorflow binding and makes its `tensorflow` backend active. For `tensorflow-gpu` the
 * GPU must actually be in use. Throws `backend_unavailable` when the package is not installed, its
 * addon does not load, no GPU is used, or the other native package is already loaded.
 */
export async function loadNativeBackend(name: NativeName): Promise<BackendInfo> {
  const wanted = PACKAGES[name];
  const reused = loadedPackage !== undefined;
  if (loadedPackage === undefined) {
    try {
      // A variable specifier: neither package is a dependency TypeScript can see.
      const specifier: string = wanted;
      await import(specifier);
    } catch (error) {
      throw backendUnavailable(name, whyNotLoaded(wanted, error));
    }
    loadedPackage = wanted;
  } else if (loadedPackage !== wanted && name === 'tensorflow-gpu') {
    throw backendUnavailable(name, `${loadedPackage} is already loaded and the two cannot share a process`);
  }
  if (!(await setBackend('tensorflow'))) throw backendUnavailable(name, 'tf.setBackend("tensorflow") failed');
  const onGpu = (backend() as { isUsingGpuDevice?: boolean }).isUsingGpuDevice === true;
  if (name === 'tensorflow-gpu' && !onGpu) {
    throw backendUnavailable(name, `${wanted} loaded but uses no GPU device`);
  }
  const via = reused ? `${loadedPackage}, loaded earlier` : wanted;
  // libtensorflow sizes its intra-op pool to the cores.
  return {
    name,
    threads: os.availableParallelism(),
    detail: onGpu ? `${via} on a GPU` : `${via} on the CPU`,
  };
}

function whyNotLoaded(pkg: string, error: unknown): string {
  const { code, message } =
    error instanceof Error ? (error as Error & { code?: string }) : { message: String(error) };
  const missing = (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && message.includes(pkg);
  return missing ? `${pkg} is not installed` : `${pkg} did not load (${message.split('\n')[0]})`;
}
