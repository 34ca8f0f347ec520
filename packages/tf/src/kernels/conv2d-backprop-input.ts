import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  backend_util,
  Conv2DBackpropInput,
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
} from '@tensorflow/tfjs-core';
import { inputOf, withWasmOps } from './wasm-ops.js';

/**
 * Gradient of a convolution with respect to its input. The package's kernel is a scalar loop; this
 * is a Conv2D, which XNNPACK runs on the thread pool: dy is zero-upsampled by the stride, then
 * convolved (stride 1) with the filter rotated by 180° and with in/out channels swapped, padded by
 * k−1−pad at the top/left and by whatever makes the output the input's size at the bottom/right.
 */
const conv2dBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const dy = inputOf(inputs, 'dy');
  const filter = inputOf(inputs, 'filter');
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } =
    attrs as unknown as Conv2DBackpropInputAttrs;
  const channelsLast = backend_util.convertConv2DDataFormat(dataFormat) === 'channelsLast';
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    channelsLast ? 'channelsLast' : 'channelsFirst',
  );
  return withWasmOps(backend as BackendWasm, (ops) => {
    const dyNhwc = channelsLast ? dy : ops.transpose(dy, [0, 2, 3, 1]);
    const spread = ops.upsample(dyNhwc, [info.strideHeight, info.strideWidth]);
    const top = info.filterHeight - 1 - info.padInfo.top;
    const left = info.filterWidth - 1 - info.padInfo.left;
    const [window, padding] = ops.padSpatial(spread, [
      [top, info.inHeight + info.filterHeight - 1 - top - spread.shape[1]!],
      [left, info.inWidth + info.filterWidth - 1 - left - spread.shape[2]!],
    ]);
    const rotated = ops.rotate180(filter, [0, 1, 3, 2]);
    const dx = ops.conv2d(window, rotated, { strides: [1, 1], dilations: [1, 1], pad: padding });
    return channelsLast ? dx : ops.transpose(dx, [0, 3, 1, 2]);
  });
};

/** `Conv2DBackpropInput` for the wasm backend, replacing the package's scalar loop. */
export const conv2dBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropInput,
};
