import { onBothBackends, randomTensor, runKernel, TOLERANCE } from './test-support/compare.js';
import { useWasmBackend } from './test-support/wasm-session.js';

useWasmBackend();

type Pad = 'same' | 'valid' | number;

interface Case {
  input: [number, number, number, number];
  kernel: [number, number];
  strides: number | [number, number];
  pad: Pad;
  outChannels: number;
}

/** The shape of dy: the forward convolution's output. */
function outputShape({ input: [n, h, w], kernel: [kh, kw], strides, pad, outChannels }: Case) {
  const [sh, sw] = typeof strides === 'number' ? [strides, strides] : strides;
  const size = (x: number, k: number, s: number) =>
    pad === 'same' ? Math.ceil(x / s) : Math.floor((x + 2 * (pad === 'valid' ? 0 : pad) - k) / s) + 1;
  return [n, size(h, kh, sh), size(w, kw, sw), outChannels];
}

const grid: Case[] = [];
for (const strides of [1, 2, 4]) {
  for (const k of [1, 3, 5, 11]) {
    for (const pad of ['same', 'valid'] as const) {
      for (const input of [
        [2, 13, 12, 3],
        [2, 16, 16, 2],
      ] as [number, number, number, number][]) {
        grid.push({ input, kernel: [k, k], strides, pad, outChannels: 4 });
      }
    }
  }
}
// Non-square kernels and strides, odd sizes, explicit padding.
grid.push(
  { input: [2, 9, 14, 3], kernel: [3, 5], strides: [1, 2], pad: 'same', outChannels: 5 },
  { input: [1, 10, 7, 4], kernel: [5, 2], strides: [2, 1], pad: 'valid', outChannels: 3 },
  { input: [3, 9, 7, 3], kernel: [1, 1], strides: 2, pad: 'valid', outChannels: 2 },
  { input: [2, 8, 8, 3], kernel: [3, 3], strides: 2, pad: 1, outChannels: 4 },
);

const label = (c: Case) => `x ${c.input} k ${c.kernel} s ${c.strides} ${c.pad}`;

describe('Conv2DBackpropFilter on wasm', () => {
  test.each(grid.map((c) => [label(c), c] as const))('matches cpu: %s', async (_, c) => {
    const outcome = await onBothBackends(() =>
      runKernel(
        'Conv2DBackpropFilter',
        { x: randomTensor(c.input, 1), dy: randomTensor(outputShape(c), 2) },
        {
          strides: c.strides,
          pad: c.pad,
          dataFormat: 'NHWC',
          filterShape: [...c.kernel, c.input[3], c.outChannels],
        },
      ),
    );
    expect(outcome.error).toBeLessThanOrEqual(TOLERANCE);
    expect(outcome.leaked).toBe(0);
  });
});

describe('Conv2DBackpropInput on wasm', () => {
  test.each(grid.map((c) => [label(c), c] as const))('matches cpu: %s', async (_, c) => {
    const outcome = await onBothBackends(() =>
      runKernel(
        'Conv2DBackpropInput',
        {
          dy: randomTensor(outputShape(c), 3),
          filter: randomTensor([...c.kernel, c.input[3], c.outChannels], 4),
        },
        { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.input },
      ),
    );
    expect(outcome.error).toBeLessThanOrEqual(TOLERANCE);
    expect(outcome.leaked).toBe(0);
  });
});

describe('convolution gradients in NCHW', () => {
  const c: Case = { input: [2, 9, 8, 3], kernel: [3, 3], strides: 2, pad: 'same', outChannels: 4 };
  const [n, h, w, channels] = c.input;
  const [, ho, wo, co] = outputShape(c);

  test('filter gradient matches cpu', async () => {
    const outcome = await onBothBackends(() =>
      runKernel(
        'Conv2DBackpropFilter',
        { x: randomTensor([n, channels, h, w], 5), dy: randomTensor([n, co!, ho!, wo!], 6) },
        { strides: c.strides, pad: c.pad, dataFormat: 'NCHW', filterShape: [3, 3, channels, co] },
      ),
    );
    expect(outcome.error).toBeLessThanOrEqual(TOLERANCE);
  });

  test('input gradient matches cpu', async () => {
    const outcome = await onBothBackends(() =>
      runKernel(
        'Conv2DBackpropInput',
        { dy: randomTensor([n, co!, ho!, wo!], 7), filter: randomTensor([3, 3, channels, co!], 8) },
        { strides: c.strides, pad: c.pad, dataFormat: 'NCHW', inputShape: [n, channels, h, w] },
      ),
    );
    expect(outcome.error).toBeLessThanOrEqual(TOLERANCE);
  });
});
