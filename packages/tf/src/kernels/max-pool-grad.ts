import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  backend_util,
  type KernelConfig,
  type KernelFunc,
  MaxPoolGrad,
  type MaxPoolGradAttrs,
} from '@tensorflow/tfjs-core';
import { inputOf } from './wasm-ops.js';

/**
 * `MaxPoolGrad` as a JavaScript loop over the wasm heap. The package's kernel walks the input with
 * the channel as the outer loop, striding across the whole tensor for every element; this one keeps
 * the channel innermost, so every read is sequential, and takes a fraction of its time.
 *
 * Each window sends its dy to the first maximum in row-major order, as the cpu kernel does, so ties
 * (frequent after a ReLU) resolve the same way on both backends.
 */
const maxPoolGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const dy = inputOf(inputs, 'dy');
  const input = inputOf(inputs, 'input');
  const wasm = backend as BackendWasm;
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as MaxPoolGradAttrs;
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const dx = wasm.makeOutput(input.shape, 'float32');
  const x = wasm.typedArrayFromHeap(input);
  const dyValues = wasm.typedArrayFromHeap(dy);
  const dxValues = wasm.typedArrayFromHeap(dx);
  dxValues.fill(0);
  const channels = info.inChannels;
  const rowSize = info.inWidth * channels;
  const best = new Float32Array(channels);
  const bestAt = new Int32Array(channels);
  let dyAt = 0;
  for (let n = 0; n < info.batchSize; n++) {
    const image = n * info.inHeight * rowSize;
    for (let p = 0; p < info.outHeight; p++) {
      const top = p * info.strideHeight - info.padInfo.top;
      const rowStart = Math.max(0, top);
      const rowEnd = Math.min(info.inHeight, top + info.effectiveFilterHeight);
      for (let q = 0; q < info.outWidth; q++) {
        const left = q * info.strideWidth - info.padInfo.left;
        const colStart = Math.max(0, left);
        const colEnd = Math.min(info.inWidth, left + info.effectiveFilterWidth);
        best.fill(Number.NEGATIVE_INFINITY);
        bestAt.fill(-1);
        for (let row = rowStart; row < rowEnd; row++) {
          for (let col = colStart; col < colEnd; col++) {
            const at = image + row * rowSize + col * channels;
            for (let c = 0; c < channels; c++) {
              const value = x[at + c]!;
              if (value > best[c]!) {
                best[c] = value;
                bestAt[c] = at + c;
              }
            }
          }
        }
        for (let c = 0; c < channels; c++) {
          const at = bestAt[c]!;
          if (at >= 0) dxValues[at]! += dyValues[dyAt + c]!;
        }
        dyAt += channels;
      }
    }
  }
  return dx;
};

/** `MaxPoolGrad` for the wasm backend, replacing the package's cache-hostile loop. */
export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad,
};
