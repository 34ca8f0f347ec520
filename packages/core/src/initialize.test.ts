import { isDdinitError } from '@ddinit/contracts';
import * as tf from '@tensorflow/tfjs';
import { initialize } from './initialize.js';
import { AFFINE_CLASSES, assertSupportedTopology } from './layer-rules.js';
import {
  exampleImages,
  loadExampleModel,
  preActivationOf,
  preActivations,
  useFastBackend,
} from './testing/fixtures.js';

let backend: Awaited<ReturnType<typeof useFastBackend>>;
beforeAll(async () => {
  backend = await useFastBackend();
});

const weightsOf = (model: tf.LayersModel) => model.getWeights().map((w) => w.dataSync().slice());

/** Every affine class and most pass-through rules in one functional DAG. */
function everyLayerModel(): tf.LayersModel {
  const input = tf.input({ shape: [16, 16, 3] });
  const stem = tf.layers
    .conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv' })
    .apply(input) as tf.SymbolicTensor;
  const pointwise = tf.layers
    .conv2d({ filters: 8, kernelSize: 1, name: 'branch_1x1', activation: 'relu' })
    .apply(stem);
  const depthwise = tf.layers
    .depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', name: 'depthwise' })
    .apply(stem);
  const separable = tf.layers
    .separableConv2d({ filters: 8, kernelSize: 3, padding: 'same', name: 'separable', activation: 'relu' })
    .apply(stem);
  const joined = tf.layers
    .concatenate({ name: 'concat' })
    .apply([pointwise, depthwise, separable] as tf.SymbolicTensor[]);
  const normalized = tf.layers.batchNormalization({ name: 'bn' }).apply(joined);
  const pooled = tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' }).apply(normalized);
  const up = tf.layers
    .conv2dTranspose({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', name: 'transpose' })
    .apply(pooled);
  const leaky = tf.layers.leakyReLU({ alpha: 0.1, name: 'leaky' }).apply(up);
  const skip = tf.layers.conv2d({ filters: 8, kernelSize: 1, name: 'skip' }).apply(stem);
  const added = tf.layers.add({ name: 'add' }).apply([leaky, skip] as tf.SymbolicTensor[]);
  const squashed = tf.layers
    .activation({ activation: 'tanh', name: 'tanh' })
    .apply(tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, name: 'before_tanh' }).apply(added));
  const sequence = tf.layers.reshape({ targetShape: [49, 4], name: 'to_sequence' }).apply(squashed);
  const conv1d = tf.layers
    .conv1d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv1d' })
    .apply(sequence);
  const flat = tf.layers.globalAveragePooling1d({ name: 'gap' }).apply(conv1d);
  const dropped = tf.layers.dropout({ rate: 0.5, name: 'dropout' }).apply(flat);
  const output = tf.layers.dense({ units: 5, name: 'logits' }).apply(dropped) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output });
}

describe('initialize', () => {
  it('initializes or passes through every supported layer type in a DAG', async () => {
    const model = everyLayerModel();
    const sample = await exampleImages([16, 16, 3], 96, 32);
    const report = await initialize({
      model,
      sample: sample.init,
      heldOut: sample.heldOut,
      hasWeights: false,
      backend,
      options: { batchSize: 32 },
    });
    expect(new Set(report.layers.map((l) => l.className))).toEqual(new Set(AFFINE_CLASSES));
    expect(report.layers.map((l) => l.name)).toEqual(
      expect.arrayContaining(['separable/depthwise', 'separable/pointwise']),
    );
    const blocked = report.layers.find((l) => l.name === 'before_tanh')!;
    expect(blocked.warnings.join(' ')).toMatch(/tanh.*not positively homogeneous/);
    expect(blocked.changeRate?.scale ?? 1).toBe(1);
    // Within-layer postconditions, rescaled by each layer's own r.
    const scaleOf = new Map(report.layers.map((l) => [l.name, l.changeRate?.scale ?? 1]));
    scaleOf.set('separable', scaleOf.get('separable/pointwise')!);
    for (const layer of preActivations(model, sample.init)) {
      const s = scaleOf.get(layer.name)!;
      for (const std of layer.std) expect(Math.abs(std / s - 1)).toBeLessThan(1e-3);
    }
    for (const w of model.getWeights()) expect(w.dataSync().every(Number.isFinite)).toBe(true);
  });

  it.each(['gaussian', 'pca'] as const)(
    'reproduces the same weights from the same seed (%s)',
    async (random) => {
      const sample = await exampleImages([32, 32, 3], 64, 16);
      const run = async (seed: number) => {
        const model = await loadExampleModel('vgg-cifar');
        await initialize({
          model,
          sample: sample.init,
          heldOut: sample.heldOut,
          hasWeights: false,
          backend,
          options: { seed, random, batchSize: 32 },
        });
        return weightsOf(model);
      };
      const [first, second, other] = [await run(7), await run(7), await run(8)];
      for (const [i, w] of first.entries()) {
        expect(Buffer.from(w.buffer).equals(Buffer.from(second[i]!.buffer))).toBe(true);
      }
      expect(Buffer.from(first[0]!.buffer).equals(Buffer.from(other[0]!.buffer))).toBe(false);
    },
  );

  it('draws whitened PCA filters whose responses are decorrelated, and records the fallbacks', async () => {
    const model = await loadExampleModel('vgg-cifar');
    const sample = await exampleImages([32, 32, 3], 128, 0);
    const report = await initialize({
      model,
      sample: sample.init,
      hasWeights: false,
      backend,
      options: { random: 'pca', between: 'off' },
    });
    const first = report.layers[0]!;
    // 3×3×3 patches span 27 directions; the remaining filters are Gaussian.
    expect(first.random.used).toBe('pca');
    expect(first.random.fallbackReason).toMatch(/of 32 filters are Gaussian/);
    const second = report.layers[1]!;
    expect(second.random).toEqual({ requested: 'pca', used: 'pca' });
    // Responses of the second layer's PCA filters: correlation matrix close to the identity.
    const correlation = tf.tidy(() => {
      const z = tf.reshape(preActivationOf(model, model.layers[1]!, sample.init), [-1, 32]);
      const centered = tf.sub(z, tf.mean(z, 0));
      const covariance = tf.div(tf.matMul(centered, centered, true, false), z.shape[0]!);
      const std = tf.sqrt(tf.sum(tf.mul(covariance, tf.eye(32)), 1)) as tf.Tensor1D;
      return tf.div(covariance, tf.outerProduct(std, std)).arraySync() as number[][];
    });
    const offDiagonal = correlation.flatMap((row, i) => row.filter((_, j) => j !== i));
    const worst = Math.max(...offDiagonal.map(Math.abs));
    expect(worst).toBeLessThan(0.15);
  });

  it('falls back to Gaussian for k-means where it cannot work, and says why', async () => {
    const model = await loadExampleModel('mixed-dag');
    const sample = await exampleImages([32, 32, 3], 64, 0);
    const report = await initialize({
      model,
      sample: sample.init,
      hasWeights: false,
      backend,
      options: { random: 'kmeans', between: 'off' },
    });
    const depthwise = report.layers.filter((l) => l.className === 'DepthwiseConv2D');
    expect(depthwise.length).toBeGreaterThan(0);
    for (const layer of depthwise) {
      expect(layer.random.used).toBe('gaussian');
      expect(layer.random.fallbackReason).toMatch(/depthwise/);
    }
    expect(report.layers.some((l) => l.random.used === 'kmeans')).toBe(true);
    const transpose = report.layers.find((l) => l.className === 'Conv2DTranspose')!;
    expect(transpose.random.fallbackReason).toMatch(/transposed/);
  });

  it('reports dead channels instead of emitting NaN', async () => {
    const input = tf.input({ shape: [6] });
    const hidden = tf.layers.dense({ units: 4, activation: 'relu', name: 'hidden' }).apply(input);
    const model = tf.model({
      inputs: input,
      outputs: tf.layers.dense({ units: 2, name: 'out' }).apply(hidden) as tf.SymbolicTensor,
    });
    const sample = tf.zeros([32, 6]); // every pre-activation is constant
    const report = await initialize({
      model,
      sample,
      hasWeights: false,
      backend,
      options: { batchSize: 16 },
    });
    expect(report.layers[0]!.warnings.join(' ')).toMatch(/dead channel/);
    for (const w of model.getWeights()) expect(w.dataSync().every(Number.isFinite)).toBe(true);
  });

  it('only touches the selected layers', async () => {
    const model = await loadExampleModel('vgg-cifar');
    const sample = await exampleImages([32, 32, 3], 64, 0);
    const kept = model.getLayer('fc2').getWeights()[0]!.dataSync().slice();
    const report = await initialize({
      model,
      sample: sample.init,
      hasWeights: true,
      backend,
      options: { layers: { exclude: ['fc2'], onlyZeroKernels: false } },
    });
    expect(
      Buffer.from(model.getLayer('fc2').getWeights()[0]!.dataSync().buffer).equals(Buffer.from(kept.buffer)),
    ).toBe(true);
    expect(report.layers.find((l) => l.name === 'fc2')!.selected).toBe(false);
    expect(report.layers.find((l) => l.name === 'fc1')!.warnings.join(' ')).toMatch(/leaves unchanged/);
    await expect(
      initialize({
        model,
        sample: sample.init,
        hasWeights: true,
        backend,
        options: { layers: { include: ['fc9'] } },
      }),
    ).rejects.toMatchObject({ code: 'options_invalid', message: expect.stringContaining('fc9') });
  });

  it('rejects bad options naming every field, and an unsupported layer by name and class', async () => {
    const model = await loadExampleModel('vgg-cifar');
    const sample = tf.zeros([4, 32, 32, 3]);
    const error = await initialize({
      model,
      sample,
      hasWeights: false,
      backend,
      options: { alpha: -1, batchSize: 0 } as never,
    }).catch((e) => e);
    expect(isDdinitError(error) && error.code).toBe('options_invalid');
    expect(error.message).toMatch(/alpha/);
    expect(error.message).toMatch(/batchSize/);

    const topology = {
      class_name: 'Sequential',
      config: { name: 's', layers: [{ class_name: 'FancyLayer', config: { name: 'fancy_1' } }] },
    };
    expect(() => assertSupportedTopology(topology)).toThrow(
      /layer "fancy_1" \(FancyLayer\) is not supported/,
    );

    const input = tf.input({ shape: [4, 4, 4, 1] });
    const conv3d = tf.layers
      .conv3d({ filters: 2, kernelSize: 2, name: 'volume' })
      .apply(input) as tf.SymbolicTensor;
    const unsupported = tf.model({ inputs: input, outputs: conv3d });
    const before = weightsOf(unsupported);
    await expect(
      initialize({ model: unsupported, sample: tf.zeros([4, 4, 4, 4, 1]), hasWeights: false, backend }),
    ).rejects.toMatchObject({
      code: 'unsupported_layer',
      message: expect.stringContaining('"volume" (Conv3D)'),
    });
    for (const [i, w] of weightsOf(unsupported).entries()) expect(w).toEqual(before[i]);

    await expect(
      initialize({ model, sample: tf.zeros([4, 28, 28, 1]), hasWeights: false, backend }),
    ).rejects.toMatchObject({
      code: 'sample_shape_mismatch',
    });
  });

  it('stops when cancelled and reports progress that only moves forward', async () => {
    const model = await loadExampleModel('vgg-cifar');
    const sample = await exampleImages([32, 32, 3], 64, 16);
    const fractions: number[] = [];
    const report = await initialize({
      model,
      sample: sample.init,
      heldOut: sample.heldOut,
      hasWeights: false,
      backend,
      options: { batchSize: 32 },
      onProgress: (p) => fractions.push(p.fraction),
    });
    expect(report.layers).toHaveLength(7);
    expect(fractions.at(-1)).toBe(1);
    for (const [i, f] of fractions.slice(1).entries()) expect(f).toBeGreaterThanOrEqual(fractions[i]!);

    const controller = new AbortController();
    const run = initialize({
      model,
      sample: sample.init,
      hasWeights: false,
      backend,
      signal: controller.signal,
      onProgress: (p) => p.phase === 'within' && controller.abort(),
    });
    await expect(run).rejects.toMatchObject({ code: 'aborted' });
  });
});
