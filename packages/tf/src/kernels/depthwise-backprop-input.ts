import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  backend_util,
  DepthwiseConv2dNativeBackpropInput,
  type DepthwiseConv2dNativeBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
} from '@tensorflow/tfjs-core';
import { inputOf, withWasmOps } from './wasm-ops.js';

/**
 * Gradient of a depthwise convolution with respect to its input (missing from the wasm package): a
 * depthwise convolution of the zero-upsampled dy, channel multiplier 1, with the 180°-rotated filter
 * seen as [kh, kw, C·M, 1] and dilated as the forward pass; with a multiplier M > 1 the M results of
 * each input channel are then summed.
 */
const depthwiseBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const dy = inputOf(inputs, 'dy');
  const filter = inputOf(inputs, 'filter');
  const { strides, dilations, pad, dimRoundingMode, inputShape } =
    attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs;
  const [kh, kw, channels, multiplier] = filter.shape as [number, number, number, number];
  const info = backend_util.computeConv2DInfo(
    inputShape,
    [kh, kw, channels, multiplier],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  );
  return withWasmOps(backend as BackendWasm, (ops) => {
    const spread = ops.upsample(dy, [info.strideHeight, info.strideWidth]);
    const top = info.effectiveFilterHeight - 1 - info.padInfo.top;
    const left = info.effectiveFilterWidth - 1 - info.padInfo.left;
    const [window, padding] = ops.padSpatial(spread, [
      [top, info.inHeight + info.effectiveFilterHeight - 1 - top - spread.shape[1]!],
      [left, info.inWidth + info.effectiveFilterWidth - 1 - left - spread.shape[2]!],
    ]);
    const rotated = ops.reshape(ops.rotate180(filter), [kh, kw, channels * multiplier, 1]);
    const dx = ops.depthwiseConv2d(window, rotated, {
      strides: [1, 1],
      dilations: [info.dilationHeight, info.dilationWidth],
      pad: padding,
    });
    if (multiplier === 1) return dx;
    const [n, h, w] = dx.shape as [number, number, number];
    return ops.sum(ops.reshape(dx, [n, h, w, channels, multiplier]), 4);
  });
};

/** `DepthwiseConv2dNativeBackpropInput` for the wasm backend. */
export const depthwiseBackpropInputConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropInput,
};
