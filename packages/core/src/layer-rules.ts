/**
 * What each tfjs-layers class means to the initializer. Affine layers are initialized; every other
 * class passes through the forward pass unchanged and gets a rule for how a scale on its input
 * travels (ALGORITHM.md §3): it passes, is absorbed, ties its inputs, or is blocked.
 */
import { unsupportedLayer } from './errors.js';

export const AFFINE_CLASSES = [
  'Dense',
  'Conv1D',
  'Conv2D',
  'DepthwiseConv2D',
  'SeparableConv2D',
  'Conv2DTranspose',
] as const;
export type AffineClass = (typeof AFFINE_CLASSES)[number];

/**
 * How a positive per-channel scale on a layer's input reaches its output.
 * - `channelwise`: output channel c carries input channel c's scale (ReLU, pooling, padding, dropout).
 * - `flatten`: like channelwise, with channels repeated over the flattened positions.
 * - `layout`: moves values between channels (Reshape, Permute): inputs must share one scale.
 * - `concat`: channel slices keep their own scales.
 * - `merge`: inputs are combined elementwise (Add, Average, …): they must share one scale.
 * - `absorb`: the layer normalizes its input and cancels the scale (BatchNormalization).
 * - `block`: not positively homogeneous: the scale may not pass, so nothing upstream may be rescaled.
 */
export type ScaleRule = 'channelwise' | 'flatten' | 'layout' | 'concat' | 'merge' | 'absorb' | 'block';

const PASS_THROUGH: Record<string, ScaleRule> = {
  InputLayer: 'channelwise',
  Dropout: 'channelwise',
  SpatialDropout1D: 'channelwise',
  GaussianNoise: 'channelwise',
  GaussianDropout: 'channelwise',
  AlphaDropout: 'channelwise',
  ZeroPadding2D: 'channelwise',
  Cropping2D: 'channelwise',
  UpSampling2D: 'channelwise',
  CenterCrop: 'channelwise',
  Resizing: 'channelwise',
  MaxPooling1D: 'channelwise',
  MaxPooling2D: 'channelwise',
  AveragePooling1D: 'channelwise',
  AveragePooling2D: 'channelwise',
  GlobalAveragePooling1D: 'channelwise',
  GlobalAveragePooling2D: 'channelwise',
  GlobalMaxPooling1D: 'channelwise',
  GlobalMaxPooling2D: 'channelwise',
  PReLU: 'channelwise',
  Flatten: 'flatten',
  Reshape: 'layout',
  Permute: 'layout',
  RepeatVector: 'layout',
  Concatenate: 'concat',
  Add: 'merge',
  Average: 'merge',
  Maximum: 'merge',
  Minimum: 'merge',
  BatchNormalization: 'absorb',
  // Scale-dependent or not elementwise-homogeneous: they pass the forward pass and stop rescaling.
  Activation: 'channelwise', // refined by its activation function, see activationRule
  ReLU: 'channelwise', // refined by maxValue/threshold
  LeakyReLU: 'channelwise',
  ThresholdedReLU: 'block',
  ELU: 'block',
  Softmax: 'block',
  Multiply: 'block',
  Dot: 'block',
  LayerNormalization: 'block',
  Rescaling: 'block',
  Masking: 'block',
  Embedding: 'block',
  SimpleRNN: 'block',
  GRU: 'block',
  LSTM: 'block',
  Bidirectional: 'block',
  TimeDistributed: 'block',
};

/** Activation functions f with f(a·x) = a·f(x) for a > 0. */
const HOMOGENEOUS_ACTIVATIONS = new Set(['linear', 'relu']);

export function isAffineClass(className: string): className is AffineClass {
  return (AFFINE_CLASSES as readonly string[]).includes(className);
}

export function isSupportedClass(className: string): boolean {
  return isAffineClass(className) || className in PASS_THROUGH;
}

/** Whether an activation (by its tfjs class name, e.g. `relu`, `tanh`) lets a scale through. */
export function isHomogeneousActivation(name: string): boolean {
  return HOMOGENEOUS_ACTIVATIONS.has(name);
}

/** The scale rule of a non-affine layer, refined by its configuration where that matters. */
export function scaleRule(className: string, config: Record<string, unknown>): ScaleRule {
  const rule = PASS_THROUGH[className];
  if (rule === undefined) throw new Error(`no scale rule for ${className}`);
  if (className === 'Activation') return isHomogeneousActivation(String(config.activation)) ? rule : 'block';
  if (className === 'ReLU') {
    const capped = config.maxValue != null;
    return capped ? 'block' : rule;
  }
  if (className === 'BatchNormalization' || className === 'Concatenate') {
    const axis = config.axis ?? -1;
    return axis === -1 || axis === 3 ? rule : 'block';
  }
  return rule;
}

interface TopologyLayer {
  class_name?: unknown;
  config?: { name?: unknown; data_format?: unknown; layers?: unknown };
}

/**
 * Checks a serialized Keras/tfjs topology before any model is built or any work is done, so that an
 * unsupported layer fails fast with its name and class rather than deep inside tfjs or the algorithm.
 */
export function assertSupportedTopology(modelTopology: unknown): void {
  const root = (modelTopology as { model_config?: unknown }).model_config ?? modelTopology;
  const layers = (root as TopologyLayer).config?.layers;
  if (!Array.isArray(layers)) return; // tfjs itself reports a malformed topology
  for (const layer of layers as TopologyLayer[]) {
    const className = String(layer.class_name);
    const name = String(layer.config?.name ?? '?');
    if (className === 'Sequential' || className === 'Model' || className === 'Functional') {
      throw unsupportedLayer(name, className, 'nested models are not supported; flatten the model first');
    }
    if (!isSupportedClass(className)) {
      throw unsupportedLayer(name, className, 'ddinit knows no rule for this layer class');
    }
    if (layer.config?.data_format === 'channels_first') {
      throw unsupportedLayer(
        name,
        className,
        'channels_first data format is not supported; use channels_last',
      );
    }
  }
}
