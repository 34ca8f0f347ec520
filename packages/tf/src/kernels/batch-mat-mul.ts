import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  BatchMatMul,
  type BatchMatMulAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import { inputOf, withWasmOps } from './wasm-ops.js';

/**
 * `BatchMatMul` for the wasm backend. The package's kernel reaches XNNPACK only for an unbatched
 * product with neither operand transposed; anything else is a scalar loop, which is every dense
 * backward step. An unbatched product with a transposed operand is rewritten into that fast path
 * with explicit transposes, using `(B·A)ᵀ = Aᵀ·Bᵀ` when transposing the result and the other operand
 * moves fewer elements: dy·Wᵀ then transposes dy and the result, not the weights. Batched products
 * go to the package's kernel, `fallback`.
 */
export function batchMatMulConfig(fallback: KernelConfig): KernelConfig {
  const batchMatMul: KernelFunc = (args) => {
    const a = inputOf(args.inputs, 'a');
    const b = inputOf(args.inputs, 'b');
    const { transposeA, transposeB } = args.attrs as unknown as BatchMatMulAttrs;
    if (!(transposeA || transposeB) || !isMatrix(a) || !isMatrix(b)) return fallback.kernelFunc(args);
    return withWasmOps(args.backend as BackendWasm, (ops) => {
      const product = (x: TensorInfo, y: TensorInfo) =>
        ops.run(fallback, { a: x, b: y }, { transposeA: false, transposeB: false });
      const t = (x: TensorInfo) => ops.transpose(x, swapLastAxes(x.shape.length));
      const outSize = rows(a, transposeA) * rows(b, !transposeB);
      // Elements each route transposes: op(A)·op(B) directly, or (op(B)ᵀ·op(A)ᵀ)ᵀ.
      const direct = (transposeA ? size(a) : 0) + (transposeB ? size(b) : 0);
      const swapped = (transposeA ? 0 : size(a)) + (transposeB ? 0 : size(b)) + outSize;
      if (direct <= swapped) return product(transposeA ? t(a) : a, transposeB ? t(b) : b);
      return t(product(transposeB ? b : t(b), transposeA ? a : t(a)));
    });
  };
  return {
    kernelName: BatchMatMul,
    backendName: 'wasm',
    kernelFunc: batchMatMul,
    // The package's kernel binds its wasm function here; it must run on every backend it serves.
    ...(fallback.setupFunc === undefined ? {} : { setupFunc: fallback.setupFunc }),
  };
}

/** One float32 matrix, perhaps with leading axes of size 1. */
function isMatrix(x: TensorInfo): boolean {
  return x.dtype === 'float32' && util.sizeFromShape(x.shape.slice(0, -2)) === 1 && size(x) > 0;
}

function size(x: TensorInfo): number {
  return util.sizeFromShape(x.shape);
}

/** Rows of `x`, or of its transpose when `transposed`. */
function rows(x: TensorInfo, transposed: boolean): number {
  return x.shape[x.shape.length - (transposed ? 1 : 2)]!;
}

function swapLastAxes(rank: number): number[] {
  const perm = [...Array(rank).keys()];
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}
