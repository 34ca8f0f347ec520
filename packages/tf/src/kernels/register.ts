import '@tensorflow/tfjs-backend-wasm';
import {
  BatchMatMul,
  getKernel,
  type KernelConfig,
  registerKernel,
  unregisterKernel,
} from '@tensorflow/tfjs-core';
import { batchMatMulConfig } from './batch-mat-mul.js';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2dBackpropInputConfig } from './conv2d-backprop-input.js';
import { depthwiseBackpropFilterConfig } from './depthwise-backprop-filter.js';
import { depthwiseBackpropInputConfig } from './depthwise-backprop-input.js';
import { maxPoolGradConfig } from './max-pool-grad.js';

/** Marks configs registered here, so a second call (or a second copy of this module) sees them. */
const OURS = Symbol.for('@ddinit/tf/wasm-kernel');

type MarkedConfig = KernelConfig & { [OURS]?: true };

/**
 * Registers, for the `wasm` backend only, the gradient kernels the package lacks
 * (`Conv2DBackpropFilter`, `DepthwiseConv2dNativeBackpropFilter`, `DepthwiseConv2dNativeBackpropInput`)
 * and faster ones where its own are scalar loops (`Conv2DBackpropInput`, `MaxPoolGrad`, transposed
 * `BatchMatMul`).
 * Idempotent; the kernels of other backends are left alone.
 */
export function registerWasmKernels(): void {
  const batchMatMul = getKernel(BatchMatMul, 'wasm');
  if (batchMatMul === undefined) throw new Error('the wasm backend kernels are not registered');
  install(conv2dBackpropFilterConfig);
  install(conv2dBackpropInputConfig);
  install(depthwiseBackpropFilterConfig);
  install(depthwiseBackpropInputConfig);
  install(maxPoolGradConfig);
  if (!isOurs(batchMatMul)) install(batchMatMulConfig(batchMatMul));
}

function install(config: KernelConfig): void {
  const current = getKernel(config.kernelName, 'wasm');
  if (current !== undefined && isOurs(current)) return;
  // Unregistering first keeps registerKernel from warning about the package's kernel.
  if (current !== undefined) unregisterKernel(config.kernelName, 'wasm');
  registerKernel({ ...config, [OURS]: true } as MarkedConfig);
}

function isOurs(config: KernelConfig): boolean {
  return (config as MarkedConfig)[OURS] === true;
}
