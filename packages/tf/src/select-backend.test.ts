import os from 'node:os';
import { isDdinitError } from '@ddinit/contracts';
import * as tf from '@tensorflow/tfjs';
import { BACKEND_ENV, MAX_WASM_THREADS, registerWasmKernels, selectBackend } from './index.js';
import { releaseWasmBackend } from './test-support/wasm-session.js';

const saved = process.env[BACKEND_ENV];
afterEach(() => {
  if (saved === undefined) delete process.env[BACKEND_ENV];
  else process.env[BACKEND_ENV] = saved;
});
afterAll(releaseWasmBackend);

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('selectBackend', () => {
  test("'cpu' makes the pure-JS backend active", async () => {
    await expect(selectBackend('cpu')).resolves.toEqual({ name: 'cpu', threads: 1 });
    expect(tf.getBackend()).toBe('cpu');
  });

  test.each([
    ['tensorflow-gpu', '@tensorflow/tfjs-node-gpu'],
    ['tensorflow', '@tensorflow/tfjs-node'],
  ] as const)("'%s' throws backend_unavailable when %s is not installed", async (name, pkg) => {
    const error = await failure(selectBackend(name));
    expect(isDdinitError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'backend_unavailable' });
    expect((error as Error).message).toContain(`'${name}'`);
    expect((error as Error).message).toContain(pkg);
    expect(tf.getBackend()).toBe('cpu');
  });

  test('with no preference and no env var it falls through to the threaded wasm backend', async () => {
    delete process.env[BACKEND_ENV];
    const info = await selectBackend();
    expect(info.name).toBe('wasm');
    expect(info.threads).toBeGreaterThanOrEqual(1);
    expect(info.detail).toContain('threaded SIMD build');
    expect(info.detail).toContain('skipped tensorflow-gpu');
    expect(info.threads).toBe(Math.min(os.availableParallelism(), MAX_WASM_THREADS));
    expect(tf.getBackend()).toBe('wasm');
  });

  test('is idempotent: a second call reuses the registered backend', async () => {
    const factory = tf.engine().registryFactory.wasm;
    const instance = tf.engine().registry.wasm;
    const warnings: unknown[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => warnings.push(args);
    const info = await selectBackend('wasm').finally(() => {
      registerWasmKernels();
      console.warn = warn;
    });
    // registerKernel warns when a kernel is registered twice.
    expect(warnings).toEqual([]);
    expect(info.name).toBe('wasm');
    expect(tf.engine().registryFactory.wasm).toBe(factory);
    expect(tf.engine().registry.wasm).toBe(instance);
  });

  test(`${BACKEND_ENV} picks the backend when no preference is given`, async () => {
    process.env[BACKEND_ENV] = 'cpu';
    await expect(selectBackend()).resolves.toMatchObject({ name: 'cpu' });
    expect(tf.getBackend()).toBe('cpu');
    await expect(selectBackend('wasm')).resolves.toMatchObject({ name: 'wasm' });
    expect(tf.getBackend()).toBe('wasm');
  });

  test(`an unknown ${BACKEND_ENV} throws backend_unknown`, async () => {
    process.env[BACKEND_ENV] = 'webgpu';
    const error = await failure(selectBackend());
    expect(error).toMatchObject({ code: 'backend_unknown' });
    expect((error as Error).message).toContain('webgpu');
  });
});
