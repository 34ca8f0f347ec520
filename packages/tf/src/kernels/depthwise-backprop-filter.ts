import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  backend_util,
  DepthwiseConv2dNativeBackpropFilter,
  type DepthwiseConv2dNativeBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
} from '@tensorflow/tfjs-core';
import { reach } from './conv2d-backprop-filter.js';
import { inputOf, withWasmOps } from './wasm-ops.js';

/**
 * Gradient of a depthwise convolution with respect to its filter (missing from the wasm package).
 *   dW[i,j,c,m] = Σ_{n,p,q} xpad[n, p·s + i·d, q·s + j·d, c] · dy[n,p,q,c·M+m]
 * is, with the batch folded into the channels, one depthwise convolution of x as [1, H, W, N·C] with
 * dy as the filter [Ho, Wo, N·C, M], stride d and dilation s; its [1, ≥kh, ≥kw, N·C·M] output is
 * cropped and summed over N.
 */
const depthwiseBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const x = inputOf(inputs, 'x');
  const dy = inputOf(inputs, 'dy');
  const { strides, dilations, pad, dimRoundingMode, filterShape } =
    attrs as unknown as DepthwiseConv2dNativeBackpropFilterAttrs;
  const [kh, kw, channels, multiplier] = filterShape;
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  );
  const batch = info.batchSize;
  return withWasmOps(backend as BackendWasm, (ops) => {
    const folded = ops.reshape(ops.transpose(x, [1, 2, 0, 3]), [
      1,
      info.inHeight,
      info.inWidth,
      batch * channels,
    ]);
    const taps = ops.reshape(ops.transpose(dy, [1, 2, 0, 3]), [
      info.outHeight,
      info.outWidth,
      batch * channels,
      multiplier,
    ]);
    const { top, left } = info.padInfo;
    const bottom = reach(info.outHeight, info.strideHeight, kh, info.dilationHeight) - info.inHeight - top;
    const right = reach(info.outWidth, info.strideWidth, kw, info.dilationWidth) - info.inWidth - left;
    const grad = ops.depthwiseConv2d(folded, taps, {
      strides: [info.dilationHeight, info.dilationWidth],
      dilations: [info.strideHeight, info.strideWidth],
      pad: [
        [0, 0],
        [top, Math.max(0, bottom)],
        [left, Math.max(0, right)],
        [0, 0],
      ],
    });
    const [, gh, gw] = grad.shape as [number, number, number];
    const perSample = ops.crop(ops.reshape(grad, [gh, gw, batch, channels * multiplier]), [
      kh,
      kw,
      batch,
      channels * multiplier,
    ]);
    const summed = batch === 1 ? perSample : ops.sum(perSample, 2);
    return ops.reshape(summed, filterShape);
  });
};

/** `DepthwiseConv2dNativeBackpropFilter` for the wasm backend. */
export const depthwiseBackpropFilterConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropFilter,
};
