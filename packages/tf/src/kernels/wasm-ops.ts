import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  getKernel,
  type KernelConfig,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { rowMajorStrides, stridedCopy } from './strided-copy.js';

/** `[[0, 0], [top, bottom], [left, right], [0, 0]]`, the explicit padding tfjs convolutions accept. */
export type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];

/** Spatial settings of a 2-D convolution kernel call. */
export interface ConvSpec {
  strides: [number, number];
  dilations: [number, number];
  pad: ExplicitPadding;
}

/**
 * Runs wasm kernels straight from the registry, as the backend's own composite kernels do: no engine,
 * no tape, no tensor bookkeeping. Every output it makes is tracked and freed by {@link withWasmOps},
 * except the one the composite kernel returns.
 */
export class WasmOps {
  private readonly made: TensorInfo[] = [];

  constructor(readonly backend: BackendWasm) {}

  /** Runs a kernel, by name from the wasm registry or a config held aside. */
  run(kernel: string | KernelConfig, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {}): TensorInfo {
    const config = typeof kernel === 'string' ? getKernel(kernel, 'wasm') : kernel;
    if (config === undefined) throw new Error(`the wasm backend has no ${String(kernel)} kernel`);
    const out = config.kernelFunc({ inputs, backend: this.backend, attrs }) as TensorInfo;
    this.made.push(out);
    return out;
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  /** Transposes, or reshapes when `perm` only moves size-1 axes (no copy). */
  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    const shape = perm.map((axis) => x.shape[axis]!);
    const moved = perm.filter((axis) => x.shape[axis] !== 1);
    if (moved.every((axis, i) => i === 0 || axis > moved[i - 1]!)) return this.reshape(x, shape);
    const strides = rowMajorStrides(x.shape);
    return this.copyView(
      x,
      0,
      shape,
      perm.map((axis) => strides[axis]!),
    );
  }

  pad(x: TensorInfo, paddings: [number, number][]): TensorInfo {
    if (paddings.every(([before, after]) => before === 0 && after === 0)) return x;
    return this.run('PadV2', { x }, { paddings, constantValue: 0 });
  }

  slice(x: TensorInfo, begin: number[], size: number[]): TensorInfo {
    if (begin.every((b) => b === 0) && size.every((n, axis) => n === x.shape[axis])) return x;
    const strides = rowMajorStrides(x.shape);
    return this.copyView(
      x,
      begin.reduce((at, b, axis) => at + b * strides[axis]!, 0),
      size,
      strides,
    );
  }

  /** A new tensor holding a strided view of `x` (see {@link stridedCopy}). */
  private copyView(x: TensorInfo, offset: number, shape: number[], strides: number[]): TensorInfo {
    // Allocate first: a heap that grows detaches views taken before.
    const out = this.backend.makeOutput(shape, x.dtype);
    this.made.push(out);
    stridedCopy(
      this.backend.typedArrayFromHeap(x),
      offset,
      shape,
      strides,
      this.backend.typedArrayFromHeap(out),
    );
    return out;
  }

  /** Keeps the leading `size` of every axis. */
  crop(x: TensorInfo, size: number[]): TensorInfo {
    return this.slice(
      x,
      size.map(() => 0),
      size,
    );
  }

  /**
   * Pads (positive amounts) or crops (negative amounts) the spatial axes of an NHWC tensor: crops
   * happen here, pads are returned for the convolution to apply without a copy.
   */
  padSpatial(
    x: TensorInfo,
    [[top, bottom], [left, right]]: [[number, number], [number, number]],
  ): [TensorInfo, ExplicitPadding] {
    const [n, h, w, c] = x.shape as [number, number, number, number];
    const cut = (amount: number) => Math.max(0, -amount);
    const cropped = this.slice(
      x,
      [0, cut(top), cut(left), 0],
      [n, h - cut(top) - cut(bottom), w - cut(left) - cut(right), c],
    );
    const grow = (amount: number) => Math.max(0, amount);
    return [
      cropped,
      [
        [0, 0],
        [grow(top), grow(bottom)],
        [grow(left), grow(right)],
        [0, 0],
      ],
    ];
  }

  /**
   * Rotates the two leading (spatial) axes of a filter by 180° and permutes the axes, in one pass:
   * the package's Reverse kernel is a scalar loop that takes longer than the convolution it feeds.
   */
  rotate180(filter: TensorInfo, perm: number[] = [0, 1, 2, 3]): TensorInfo {
    const [kh, kw] = filter.shape as [number, number];
    const strides = rowMajorStrides(filter.shape);
    strides[0] = -strides[0]!;
    strides[1] = -strides[1]!;
    return this.copyView(
      filter,
      -(kh - 1) * strides[0] - (kw - 1) * strides[1],
      perm.map((axis) => filter.shape[axis]!),
      perm.map((axis) => strides[axis]!),
    );
  }

  sum(x: TensorInfo, axis: number): TensorInfo {
    return this.run('Sum', { x }, { axis: [axis], keepDims: false });
  }

  conv2d(x: TensorInfo, filter: TensorInfo, spec: ConvSpec): TensorInfo {
    return this.run('Conv2D', { x, filter }, { ...spec, dataFormat: 'NHWC', dimRoundingMode: 'floor' });
  }

  depthwiseConv2d(x: TensorInfo, filter: TensorInfo, spec: ConvSpec): TensorInfo {
    return this.run('DepthwiseConv2dNative', { x, filter }, { ...spec, dimRoundingMode: 'floor' });
  }

  /** Zero-upsamples the spatial axes of an NHWC tensor: `[N, H, W, C]` to `[N, H·sh, W·sw, C]`. */
  upsample(x: TensorInfo, [sh, sw]: [number, number]): TensorInfo {
    if (sh === 1 && sw === 1) return x;
    const [n, h, w, c] = x.shape as [number, number, number, number];
    const spread = this.pad(this.reshape(x, [n * h, 1, w, 1, c]), [
      [0, 0],
      [0, sh - 1],
      [0, 0],
      [0, sw - 1],
      [0, 0],
    ]);
    return this.reshape(spread, [n, h * sh, w * sw, c]);
  }

  /** True for outputs made here, which the caller may hand over; inputs must not be. */
  owns(info: TensorInfo): boolean {
    return this.made.includes(info);
  }

  /** Frees every tracked output but `keep`. */
  release(keep?: TensorInfo): void {
    for (const info of this.made) {
      if (info !== keep) this.backend.disposeData(info.dataId);
    }
    this.made.length = 0;
  }
}

/** A named kernel input; the engine always passes them, so a missing one is a bug. */
export function inputOf(inputs: NamedTensorInfoMap, name: string): TensorInfo {
  const info = inputs[name];
  if (info === undefined) throw new Error(`kernel input '${name}' is missing`);
  return info;
}

/** Runs a composite kernel body, then frees its intermediates (also when it throws). */
export function withWasmOps(backend: BackendWasm, body: (ops: WasmOps) => TensorInfo): TensorInfo {
  const ops = new WasmOps(backend);
  let result: TensorInfo | undefined;
  try {
    result = body(ops);
    // An input handed back as is would share its buffer without a reference; a reshape adds one.
    if (!ops.owns(result)) result = ops.reshape(result, result.shape);
    return result;
  } finally {
    ops.release(result);
  }
}
