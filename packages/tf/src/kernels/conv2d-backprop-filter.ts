import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  backend_util,
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
} from '@tensorflow/tfjs-core';
import { inputOf, withWasmOps } from './wasm-ops.js';

/**
 * Gradient of a convolution with respect to its filter, as one Conv2D (the wasm package has no such
 * kernel). With stride s and dilation d,
 *   dW[i,j,c,o] = Σ_{n,p,q} xpad[n, p·s + i·d, q·s + j·d, c] · dy[n,p,q,o],
 * which is a convolution of x as [Cin, H, W, N] with dy as the filter [Ho, Wo, N, Cout], stride d,
 * dilation s, padded top/left as the forward pass and bottom/right as far as needed. Its output,
 * [Cin, ≥kh, ≥kw, Cout], is cropped and transposed to [kh, kw, Cin, Cout].
 */
const conv2dBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const x = inputOf(inputs, 'x');
  const dy = inputOf(inputs, 'dy');
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
    attrs as unknown as Conv2DBackpropFilterAttrs;
  const channelsLast = backend_util.convertConv2DDataFormat(dataFormat) === 'channelsLast';
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    channelsLast ? 'channelsLast' : 'channelsFirst',
  );
  return withWasmOps(backend as BackendWasm, (ops) => {
    const xT = ops.transpose(x, channelsLast ? [3, 1, 2, 0] : [1, 2, 3, 0]);
    const dyT = ops.transpose(dy, channelsLast ? [1, 2, 0, 3] : [2, 3, 0, 1]);
    const { top, left } = info.padInfo;
    const bottom =
      reach(info.outHeight, info.strideHeight, info.filterHeight, info.dilationHeight) - info.inHeight - top;
    const right =
      reach(info.outWidth, info.strideWidth, info.filterWidth, info.dilationWidth) - info.inWidth - left;
    const grad = ops.conv2d(xT, dyT, {
      strides: [info.dilationHeight, info.dilationWidth],
      dilations: [info.strideHeight, info.strideWidth],
      pad: [
        [0, 0],
        [top, Math.max(0, bottom)],
        [left, Math.max(0, right)],
        [0, 0],
      ],
    });
    const cropped = ops.crop(grad, [info.inChannels, info.filterHeight, info.filterWidth, info.outChannels]);
    return ops.transpose(cropped, [1, 2, 0, 3]);
  });
};

/** Padded input rows a forward pass reads: where its last window ends. */
export function reach(outSize: number, stride: number, filterSize: number, dilation: number): number {
  return (outSize - 1) * stride + (filterSize - 1) * dilation + 1;
}

/** `Conv2DBackpropFilter` for the wasm backend. */
export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter,
};
