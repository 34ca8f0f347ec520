import * as tf from '@tensorflow/tfjs';

/** Tolerance the wasm kernels are held to against the cpu kernels. */
export const TOLERANCE = 1e-4;

/** Deterministic values in [-1, 1) (mulberry32), so both backends see the same inputs. */
export function randomValues(size: number, seed: number): Float32Array {
  const values = new Float32Array(size);
  let state = seed >>> 0;
  for (let i = 0; i < size; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    values[i] = ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  }
  return values;
}

/** A tensor of `shape` filled by {@link randomValues}. */
export function randomTensor(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(
    randomValues(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
    shape,
  );
}

/** max |actual − expected| / max |expected|: the error relative to the result's scale. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Number.POSITIVE_INFINITY;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return diff === 0 ? 0 : diff / Math.max(scale, Number.MIN_VALUE);
}

export interface Outcome {
  cpu: { shape: number[]; values: Float32Array };
  wasm: { shape: number[]; values: Float32Array };
  error: number;
  /** Backend buffers the wasm run left allocated: a kernel leaking intermediates shows here. */
  leaked: number;
}

/** Runs `compute` on the cpu backend and on the wasm backend and compares the results. */
export async function onBothBackends(compute: () => tf.Tensor): Promise<Outcome> {
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    const before = tf.engine().backend.numDataIds();
    const result = tf.tidy(() => {
      const out = compute();
      return { shape: out.shape, values: Float32Array.from(out.dataSync()) };
    });
    return { ...result, leaked: tf.engine().backend.numDataIds() - before };
  };
  const cpu = await run('cpu');
  const { leaked, ...wasm } = await run('wasm');
  const error = shapesEqual(cpu.shape, wasm.shape)
    ? relativeError(wasm.values, cpu.values)
    : Number.POSITIVE_INFINITY;
  return { cpu: { shape: cpu.shape, values: cpu.values }, wasm, error, leaked };
}

function shapesEqual(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

/** Runs one kernel by name through the engine, as the gradient code does. */
export function runKernel(name: string, inputs: Record<string, tf.Tensor>, attrs: object): tf.Tensor {
  return tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
}
