import * as tf from '@tensorflow/tfjs';
import { onBothBackends, randomTensor, runKernel } from './test-support/compare.js';
import { useWasmBackend } from './test-support/wasm-session.js';

useWasmBackend();

const cases: { filter: number | [number, number]; strides: number | [number, number] }[] = [
  { filter: 2, strides: 2 },
  { filter: 3, strides: 2 },
  { filter: 3, strides: 1 },
  { filter: [3, 2], strides: [1, 2] },
];

describe('MaxPoolGrad on wasm', () => {
  test.each(
    cases.flatMap((c) =>
      (['same', 'valid'] as const).map((pad) => [`${c.filter}/${c.strides} ${pad}`, c, pad] as const),
    ),
  )('matches cpu, ties included: %s', async (_, { filter, strides }, pad) => {
    const outcome = await onBothBackends(() => {
      // Rounded, ReLU'd values: most windows hold equal maxima, and the first one must win.
      const x = tf.relu(tf.round(randomTensor([2, 9, 7, 5], 1).mul(3)));
      const y = tf.maxPool(x as tf.Tensor4D, filter, strides, pad);
      return runKernel(
        'MaxPoolGrad',
        { dy: randomTensor(y.shape, 2), input: x, output: y },
        {
          filterSize: filter,
          strides,
          pad,
        },
      );
    });
    // Overlapping windows add in another order than the cpu kernel does.
    expect(outcome.error).toBeLessThanOrEqual(1e-6);
    expect(outcome.leaked).toBe(0);
  });
});
