import { getKernel } from '@tensorflow/tfjs-core';
import { onBothBackends, randomTensor, runKernel, TOLERANCE } from './test-support/compare.js';
import { useWasmBackend } from './test-support/wasm-session.js';

useWasmBackend();

/** [rows, inner, cols] of the product; dense backward steps are (64, 512, 10)-like and (512, 64, 10)-like. */
const sizes: [number, number, number][] = [
  [5, 7, 3],
  [64, 100, 33],
  [3, 40, 200],
];
const cases = sizes.flatMap((size) =>
  [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ].map(([transposeA, transposeB]) => ({ size, transposeA: transposeA!, transposeB: transposeB! })),
);

describe('BatchMatMul on wasm', () => {
  test.each(cases.map((c) => [`${c.size} tA ${c.transposeA} tB ${c.transposeB}`, c] as const))(
    'matches cpu: %s',
    async (_, { size: [m, k, n], transposeA, transposeB }) => {
      const outcome = await onBothBackends(() =>
        runKernel(
          'BatchMatMul',
          {
            a: randomTensor(transposeA ? [1, k, m] : [1, m, k], 1),
            b: randomTensor(transposeB ? [1, n, k] : [1, k, n], 2),
          },
          { transposeA, transposeB },
        ),
      );
      expect(outcome.wasm.shape).toEqual([1, m, n]);
      expect(outcome.error).toBeLessThanOrEqual(TOLERANCE);
      expect(outcome.leaked).toBe(0);
    },
  );

  test('batched products with transposes still go to the package kernel and match cpu', async () => {
    const outcome = await onBothBackends(() =>
      runKernel(
        'BatchMatMul',
        { a: randomTensor([3, 6, 4], 3), b: randomTensor([3, 5, 6], 4) },
        {
          transposeA: true,
          transposeB: true,
        },
      ),
    );
    expect(outcome.wasm.shape).toEqual([3, 4, 5]);
    expect(outcome.error).toBeLessThanOrEqual(TOLERANCE);
  });

  test('is registered for wasm only', () => {
    expect(getKernel('BatchMatMul', 'wasm')).not.toBe(getKernel('BatchMatMul', 'cpu'));
    expect(getKernel('Conv2DBackpropFilter', 'wasm')?.backendName).toBe('wasm');
  });
});
