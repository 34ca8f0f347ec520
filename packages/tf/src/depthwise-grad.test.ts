import * as tf from '@tensorflow/tfjs';
import { onBothBackends, randomTensor, relativeError, runKernel, TOLERANCE } from './test-support/compare.js';
import { useWasmBackend } from './test-support/wasm-session.js';

useWasmBackend();

interface Case {
  input: [number, number, number, number];
  kernel: number;
  multiplier: number;
  strides: number;
  pad: 'same' | 'valid';
}

function outputShape({ input: [n, h, w, c], kernel, multiplier, strides, pad }: Case, dilation = 1) {
  const reach = (kernel - 1) * dilation + 1;
  const size = (x: number) =>
    pad === 'same' ? Math.ceil(x / strides) : Math.floor((x - reach) / strides) + 1;
  return [n, size(h), size(w), c * multiplier];
}

const grid: Case[] = [];
for (const multiplier of [1, 2]) {
  for (const strides of [1, 2]) {
    for (const kernel of [1, 3, 5]) {
      for (const pad of ['same', 'valid'] as const) {
        grid.push({ input: [2, 11, 9, 3], kernel, multiplier, strides, pad });
      }
    }
  }
}
grid.push({ input: [1, 8, 8, 4], kernel: 3, multiplier: 3, strides: 2, pad: 'same' });

const label = (c: Case) => `x ${c.input} k ${c.kernel} m ${c.multiplier} s ${c.strides} ${c.pad}`;
const filterShape = (c: Case) => [c.kernel, c.kernel, c.input[3], c.multiplier];

describe('DepthwiseConv2dNativeBackpropFilter on wasm', () => {
  test.each(grid.map((c) => [label(c), c] as const))('matches cpu: %s', async (_, c) => {
    const outcome = await onBothBackends(() =>
      runKernel(
        'DepthwiseConv2dNativeBackpropFilter',
        { x: randomTensor(c.input, 1), dy: randomTensor(outputShape(c), 2) },
        { strides: c.strides, dilations: 1, pad: c.pad, filterShape: filterShape(c) },
      ),
    );
    expect(outcome.error).toBeLessThanOrEqual(TOLERANCE);
    expect(outcome.leaked).toBe(0);
  });
});

describe('DepthwiseConv2dNativeBackpropInput on wasm', () => {
  test.each(grid.map((c) => [label(c), c] as const))('matches cpu: %s', async (_, c) => {
    const outcome = await onBothBackends(() =>
      runKernel(
        'DepthwiseConv2dNativeBackpropInput',
        { dy: randomTensor(outputShape(c), 3), filter: randomTensor(filterShape(c), 4) },
        { strides: c.strides, dilations: 1, pad: c.pad, inputShape: c.input },
      ),
    );
    expect(outcome.error).toBeLessThanOrEqual(TOLERANCE);
    expect(outcome.leaked).toBe(0);
  });
});

/**
 * tfjs has no gradient for dilated depthwise convolutions and the cpu kernels ignore `dilations`, so
 * the reference is the undilated kernel with the filter spread out by zeros, which is the same map.
 */
describe('dilated depthwise gradients (stride 1)', () => {
  const c: Case = { input: [2, 12, 11, 3], kernel: 3, multiplier: 2, strides: 1, pad: 'same' };
  const dilation = 2;
  const reach = (c.kernel - 1) * dilation + 1;
  /** [k, k, C, M] → [reach, reach, C, M], with zero rows and columns between the taps. */
  const spread = (filter: tf.Tensor) => {
    const [k, , channels, multiplier] = filter.shape as [number, number, number, number];
    const depth = channels * multiplier;
    const values = filter.dataSync();
    const out = new Float32Array(reach * reach * depth);
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        out.set(
          values.subarray((i * k + j) * depth, (i * k + j + 1) * depth),
          (i * dilation * reach + j * dilation) * depth,
        );
      }
    }
    return tf.tensor(out, [reach, reach, channels, multiplier]);
  };
  const dyShape = outputShape(c, dilation);

  test('filter gradient equals the undilated one on the spread filter', async () => {
    await tf.setBackend('cpu');
    const reference = tf.tidy(() => {
      const full = runKernel(
        'DepthwiseConv2dNativeBackpropFilter',
        { x: randomTensor(c.input, 5), dy: randomTensor(dyShape, 6) },
        { strides: 1, dilations: 1, pad: c.pad, filterShape: [reach, reach, 3, 2] },
      );
      return tf.stridedSlice(full, [0, 0, 0, 0], [reach, reach, 3, 2], [dilation, dilation, 1, 1]).dataSync();
    });
    await tf.setBackend('wasm');
    const actual = tf.tidy(() =>
      runKernel(
        'DepthwiseConv2dNativeBackpropFilter',
        { x: randomTensor(c.input, 5), dy: randomTensor(dyShape, 6) },
        { strides: 1, dilations: dilation, pad: c.pad, filterShape: filterShape(c) },
      ).dataSync(),
    );
    expect(relativeError(actual, reference)).toBeLessThanOrEqual(TOLERANCE);
  });

  test('input gradient equals the undilated one on the spread filter', async () => {
    await tf.setBackend('cpu');
    const reference = tf.tidy(() =>
      runKernel(
        'DepthwiseConv2dNativeBackpropInput',
        { dy: randomTensor(dyShape, 7), filter: spread(randomTensor(filterShape(c), 8)) },
        { strides: 1, dilations: 1, pad: c.pad, inputShape: c.input },
      ).dataSync(),
    );
    await tf.setBackend('wasm');
    const actual = tf.tidy(() =>
      runKernel(
        'DepthwiseConv2dNativeBackpropInput',
        { dy: randomTensor(dyShape, 7), filter: randomTensor(filterShape(c), 8) },
        { strides: 1, dilations: dilation, pad: c.pad, inputShape: c.input },
      ).dataSync(),
    );
    expect(relativeError(actual, reference)).toBeLessThanOrEqual(TOLERANCE);
  });
});
