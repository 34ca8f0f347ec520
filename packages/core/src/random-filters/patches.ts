/**
 * The layer's input patches (im2col rows) at randomly chosen output positions, with the layer's own
 * kernel size, stride, dilation and padding. Rows are ordered like the flattened kernel: positions
 * first, channel last, so row · kernel[:, o] is exactly output channel o's pre-activation there.
 */
import type * as tf from '@tensorflow/tfjs';
import type { AffineUnit } from '../affine.js';
import type { Rng } from '../rng.js';

export interface Patches {
  /** Row-major n×d. */
  data: Float32Array;
  n: number;
  d: number;
}

interface Geometry {
  spatial: number[];
  kernel: number[];
  strides: number[];
  dilation: number[];
  padBefore: number[];
  outSize: number[];
}

function geometry(unit: AffineUnit, spatial: number[]): Geometry {
  const g = unit.geometry!;
  const kernel = g.kernelSize;
  const padBefore: number[] = [];
  const outSize: number[] = [];
  spatial.forEach((size, i) => {
    const stride = g.strides[i]!;
    const effective = (kernel[i]! - 1) * g.dilation[i]! + 1;
    if (g.padding === 'valid') {
      outSize.push(Math.floor((size - effective) / stride) + 1);
      padBefore.push(0);
    } else if (g.padding === 'causal') {
      outSize.push(Math.floor((size - 1) / stride) + 1);
      padBefore.push(effective - 1);
    } else {
      const out = Math.ceil(size / stride);
      outSize.push(out);
      padBefore.push(Math.floor(Math.max((out - 1) * stride + effective - size, 0) / 2));
    }
  });
  return { spatial, kernel, strides: g.strides, dilation: g.dilation, padBefore, outSize };
}

/** Up to `maxPatches` patches drawn uniformly over images and output positions of `inputs`. */
export function samplePatches(unit: AffineUnit, inputs: tf.Tensor[], maxPatches: number, rng: Rng): Patches {
  if (unit.kind === 'dense') return sampleRows(inputs, unit.inChannels, maxPatches, rng);
  const first = inputs[0]!;
  const channels = first.shape[first.shape.length - 1]!;
  const geo = geometry(unit, first.shape.slice(1, -1) as number[]);
  const positionsPerImage = geo.outSize.reduce((a, b) => a * b, 1);
  const images = inputs.reduce((total, t) => total + t.shape[0]!, 0);
  const total = images * positionsPerImage;
  const n = Math.min(total, maxPatches);
  const taps = geo.kernel.reduce((a, b) => a * b, 1);
  const d = taps * channels;
  const data = new Float32Array(n * d);
  const batchData = inputs.map((t) => t.dataSync() as Float32Array);
  const batchOffsets: number[] = [];
  let offset = 0;
  for (const t of inputs) {
    batchOffsets.push(offset);
    offset += t.shape[0]!;
  }
  const imageSize = geo.spatial.reduce((a, b) => a * b, 1) * channels;

  for (let row = 0; row < n; row++) {
    const index = n === total ? row : rng.int(total);
    const image = Math.floor(index / positionsPerImage);
    let position = index % positionsPerImage;
    const outCoord = geo.outSize.map(() => 0);
    for (let i = geo.outSize.length - 1; i >= 0; i--) {
      outCoord[i] = position % geo.outSize[i]!;
      position = Math.floor(position / geo.outSize[i]!);
    }
    let batch = batchOffsets.length - 1;
    while (batchOffsets[batch]! > image) batch--;
    const source = batchData[batch]!;
    const imageStart = (image - batchOffsets[batch]!) * imageSize;
    for (let tap = 0; tap < taps; tap++) {
      let rest = tap;
      let offset = 0;
      let inside = true;
      for (let i = geo.kernel.length - 1; i >= 0; i--) {
        const k = rest % geo.kernel[i]!;
        rest = Math.floor(rest / geo.kernel[i]!);
        const coord = outCoord[i]! * geo.strides[i]! - geo.padBefore[i]! + k * geo.dilation[i]!;
        if (coord < 0 || coord >= geo.spatial[i]!) inside = false;
        const stride = geo.spatial.slice(i + 1).reduce((a, b) => a * b, 1) * channels;
        offset += coord * stride;
      }
      if (!inside) continue; // zero padding
      data.set(
        source.subarray(imageStart + offset, imageStart + offset + channels),
        row * d + tap * channels,
      );
    }
  }
  return { data, n, d };
}

function sampleRows(inputs: tf.Tensor[], d: number, maxPatches: number, rng: Rng): Patches {
  const rows = inputs.map((t) => t.dataSync() as Float32Array);
  const counts = rows.map((r) => r.length / d);
  const total = counts.reduce((a, b) => a + b, 0);
  const n = Math.min(total, maxPatches);
  const data = new Float32Array(n * d);
  for (let row = 0; row < n; row++) {
    let index = n === total ? row : rng.int(total);
    let batch = 0;
    while (index >= counts[batch]!) index -= counts[batch++]!;
    data.set(rows[batch]!.subarray(index * d, (index + 1) * d), row * d);
  }
  return { data, n, d };
}
