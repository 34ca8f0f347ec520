/**
 * Affine units: the kernels the algorithm initializes. Most affine layers are one unit; a
 * SeparableConv2D is two (its depthwise and its pointwise kernel, ALGORITHM.md notation). A unit knows
 * its kernel layout: which axis holds input channels, how output channels broadcast, and how to
 * compute its pre-activation z = W·x without bias.
 */
import * as tf from '@tensorflow/tfjs';
import type { Layer } from './graph.js';
import type { AffineClass } from './layer-rules.js';

export type UnitKind = 'dense' | 'conv1d' | 'conv2d' | 'depthwise' | 'conv2d-transpose';

/** tfjs-layers' weight wrapper (not exported by name from @tensorflow/tfjs). */
export interface LayerVariable {
  readonly shape: number[];
  readonly originalName: string;
  read(): tf.Tensor;
  write(value: tf.Tensor): void;
}

export interface AffineUnit {
  /** Layer name, or `layer/depthwise` and `layer/pointwise` for a SeparableConv2D. */
  name: string;
  layer: Layer;
  className: AffineClass;
  kind: UnitKind;
  kernel: LayerVariable;
  bias: LayerVariable | null;
  /** The layer's activation follows this unit (false for a separable layer's depthwise half). */
  last: boolean;
  inChannels: number;
  outChannels: number;
  /** Kernel axis indexing input channels: the slice a between-layer undo divides. */
  inAxis: number;
  /** Shape that broadcasts a per-output-channel vector against the kernel. */
  outBroadcast: number[];
  /** Shape that broadcasts a per-input-channel vector against the kernel. */
  inBroadcast: number[];
  /** Pre-activation without bias for one batch. */
  preActivation(x: tf.Tensor, kernel: tf.Tensor): tf.Tensor;
  /** The layer's convolution geometry, for patch extraction (absent for dense units). */
  geometry?: ConvGeometry;
}

export interface ConvGeometry {
  kernelSize: number[];
  strides: number[];
  dilation: number[];
  padding: 'valid' | 'same' | 'causal';
}

interface ConvConfig {
  kernelSize: number[];
  strides: number[];
  padding: 'valid' | 'same' | 'causal';
  dilationRate: number[];
}

function asArray(value: unknown, rank: number): number[] {
  if (Array.isArray(value)) return value.map(Number);
  return new Array(rank).fill(Number(value ?? 1));
}

function convConfig(layer: Layer, rank: number): ConvConfig {
  const config = layer.getConfig() as Record<string, unknown>;
  return {
    kernelSize: asArray(config.kernelSize, rank),
    strides: asArray(config.strides, rank),
    padding: config.padding as ConvConfig['padding'],
    dilationRate: asArray(config.dilationRate ?? 1, rank),
  };
}

function weight(layer: Layer, suffix: string): LayerVariable | null {
  const found = (layer.weights as unknown as LayerVariable[]).find((w) =>
    w.originalName.endsWith(`/${suffix}`),
  );
  return found ?? null;
}

function requireWeight(layer: Layer, suffix: string): LayerVariable {
  const found = weight(layer, suffix);
  if (found === null) throw new Error(`layer ${layer.name} has no ${suffix}`);
  return found;
}

type Pair = [number, number];

/** The units of one affine layer, in the order the layer applies them. */
export function affineUnits(layer: Layer, className: AffineClass): AffineUnit[] {
  const base = { layer, className, last: true };
  switch (className) {
    case 'Dense': {
      const kernel = requireWeight(layer, 'kernel');
      const [inC, outC] = kernel.shape as Pair;
      return [
        {
          ...base,
          name: layer.name,
          kind: 'dense',
          kernel,
          bias: weight(layer, 'bias'),
          inChannels: inC,
          outChannels: outC,
          inAxis: 0,
          outBroadcast: [1, outC],
          inBroadcast: [inC, 1],
          preActivation: (x, k) => {
            const lead = x.shape.slice(0, -1);
            return tf.reshape(tf.matMul(tf.reshape(x, [-1, inC]), k), [...lead, outC]);
          },
        },
      ];
    }
    case 'Conv1D': {
      const kernel = requireWeight(layer, 'kernel');
      const [, inC, outC] = kernel.shape as [number, number, number];
      const conv = convConfig(layer, 1);
      const size = conv.kernelSize[0]!;
      const dilation = conv.dilationRate[0]!;
      return [
        {
          ...base,
          name: layer.name,
          kind: 'conv1d',
          kernel,
          bias: weight(layer, 'bias'),
          inChannels: inC,
          outChannels: outC,
          inAxis: 1,
          outBroadcast: [1, 1, outC],
          inBroadcast: [1, inC, 1],
          geometry: {
            kernelSize: [size],
            strides: conv.strides,
            dilation: [dilation],
            padding: conv.padding,
          },
          preActivation: (x, k) => {
            let input = x as tf.Tensor3D;
            let padding = conv.padding;
            if (padding === 'causal') {
              input = tf.pad(input, [
                [0, 0],
                [dilation * (size - 1), 0],
                [0, 0],
              ]);
              padding = 'valid';
            }
            return tf.conv1d(input, k as tf.Tensor3D, conv.strides[0]!, padding, 'NWC', dilation);
          },
        },
      ];
    }
    case 'Conv2D': {
      const kernel = requireWeight(layer, 'kernel');
      const [, , inC, outC] = kernel.shape as [number, number, number, number];
      const conv = convConfig(layer, 2);
      return [
        {
          ...base,
          name: layer.name,
          kind: 'conv2d',
          kernel,
          bias: weight(layer, 'bias'),
          inChannels: inC,
          outChannels: outC,
          inAxis: 2,
          outBroadcast: [1, 1, 1, outC],
          inBroadcast: [1, 1, inC, 1],
          geometry: geometry2d(conv),
          preActivation: (x, k) =>
            tf.conv2d(
              x as tf.Tensor4D,
              k as tf.Tensor4D,
              conv.strides as Pair,
              conv.padding as 'same',
              'NHWC',
              conv.dilationRate as Pair,
            ),
        },
      ];
    }
    case 'DepthwiseConv2D':
      return [
        depthwiseUnit(
          layer,
          layer.name,
          requireWeight(layer, 'depthwise_kernel'),
          weight(layer, 'bias'),
          true,
        ),
      ];
    case 'SeparableConv2D': {
      const pointwise = requireWeight(layer, 'pointwise_kernel');
      const [, , inC, outC] = pointwise.shape as [number, number, number, number];
      return [
        depthwiseUnit(
          layer,
          `${layer.name}/depthwise`,
          requireWeight(layer, 'depthwise_kernel'),
          null,
          false,
        ),
        {
          ...base,
          name: `${layer.name}/pointwise`,
          kind: 'conv2d',
          kernel: pointwise,
          bias: weight(layer, 'bias'),
          inChannels: inC,
          outChannels: outC,
          inAxis: 2,
          outBroadcast: [1, 1, 1, outC],
          inBroadcast: [1, 1, inC, 1],
          geometry: { kernelSize: [1, 1], strides: [1, 1], dilation: [1, 1], padding: 'valid' },
          preActivation: (x, k) => tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, 1, 'valid'),
        },
      ];
    }
    case 'Conv2DTranspose': {
      const kernel = requireWeight(layer, 'kernel');
      const [kh, kw, outC, inC] = kernel.shape as [number, number, number, number];
      const conv = convConfig(layer, 2);
      const [sh, sw] = conv.strides as Pair;
      const deconvLength = (size: number, stride: number, k: number) =>
        conv.padding === 'same' ? size * stride : size * stride + Math.max(k - stride, 0);
      return [
        {
          ...base,
          name: layer.name,
          kind: 'conv2d-transpose',
          kernel,
          bias: weight(layer, 'bias'),
          inChannels: inC,
          outChannels: outC,
          inAxis: 3,
          outBroadcast: [1, 1, outC, 1],
          inBroadcast: [1, 1, 1, inC],
          preActivation: (x, k) => {
            const [n, h, w] = x.shape as [number, number, number, number];
            const outShape: [number, number, number, number] = [
              n,
              deconvLength(h, sh, kh),
              deconvLength(w, sw, kw),
              outC,
            ];
            return tf.conv2dTranspose(
              x as tf.Tensor4D,
              k as tf.Tensor4D,
              outShape,
              [sh, sw],
              conv.padding as 'same',
            );
          },
        },
      ];
    }
  }
}

function geometry2d(conv: ConvConfig): ConvGeometry {
  return {
    kernelSize: conv.kernelSize,
    strides: conv.strides,
    dilation: conv.dilationRate,
    padding: conv.padding,
  };
}

function depthwiseUnit(
  layer: Layer,
  name: string,
  kernel: LayerVariable,
  bias: LayerVariable | null,
  last: boolean,
): AffineUnit {
  const [, , inC, multiplier] = kernel.shape as [number, number, number, number];
  const conv = convConfig(layer, 2);
  return {
    name,
    layer,
    className: layer.getClassName() as AffineClass,
    last,
    kind: 'depthwise',
    kernel,
    bias,
    inChannels: inC,
    outChannels: inC * multiplier,
    inAxis: 2,
    // Output channel c·multiplier + m is kernel[:, :, c, m].
    outBroadcast: [1, 1, inC, multiplier],
    inBroadcast: [1, 1, inC, 1],
    geometry: geometry2d(conv),
    preActivation: (x, k) =>
      tf.depthwiseConv2d(
        x as tf.Tensor4D,
        k as tf.Tensor4D,
        conv.strides as Pair,
        conv.padding as 'same',
        'NHWC',
        conv.dilationRate as Pair,
      ),
  };
}

/** The layer's activation function (tfjs `Activation` object), applied after its last unit. */
export function layerActivation(layer: Layer): { apply(x: tf.Tensor): tf.Tensor; getClassName(): string } {
  const activation = (
    layer as unknown as { activation?: { apply(x: tf.Tensor): tf.Tensor; getClassName(): string } }
  ).activation;
  return activation ?? { apply: (x) => x, getClassName: () => 'linear' };
}
