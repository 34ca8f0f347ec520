import * as tf from '@tensorflow/tfjs';
import { initialize } from './initialize.js';
import {
  exampleImages,
  loadExampleModel,
  median,
  preActivations,
  useFastBackend,
} from './testing/fixtures.js';

let backend: Awaited<ReturnType<typeof useFastBackend>>;
beforeAll(async () => {
  backend = await useFastBackend();
});

describe('within-layer normalization (Algorithm 1)', () => {
  it.each([
    ['vgg-cifar', 0],
    ['mixed-dag', 0.5],
  ])(
    'gives every channel of %s mean β and std 1 on the init sample, and generalizes to held-out images',
    async (name, beta) => {
      const model = await loadExampleModel(name);
      const sample = await exampleImages(model.inputs[0]!.shape.slice(1) as number[], 256, 64);
      const report = await initialize({
        model,
        sample: sample.init,
        heldOut: sample.heldOut,
        hasWeights: false,
        backend,
        options: { between: 'off', beta },
      });
      expect(report.layers.length).toBeGreaterThan(4);

      for (const layer of preActivations(model, sample.init)) {
        for (let c = 0; c < layer.std.length; c++) {
          expect(Math.abs(layer.std[c]! - 1)).toBeLessThanOrEqual(1e-3);
          expect(Math.abs(layer.mean[c]! - beta)).toBeLessThanOrEqual(1e-3);
        }
      }
      for (const layer of preActivations(model, sample.heldOut!)) {
        const deviation = median(layer.std.map((s) => Math.abs(s - 1)));
        expect(deviation).toBeLessThanOrEqual(0.15);
      }
      // The report's exact statistics agree with the independent measurement.
      for (const layer of report.layers.filter((l) => !l.name.endsWith('/depthwise'))) {
        expect(layer.stats.initAfter!.std.median).toBeCloseTo(1, 3);
      }
      sample.init.dispose();
      sample.heldOut?.dispose();
    },
  );

  it('sets BatchNormalization moving statistics to the measured ones, so inference outputs are normalized', async () => {
    const model = await loadExampleModel('resnet-bn');
    const sample = await exampleImages([32, 32, 3], 128, 0);
    await initialize({
      model,
      sample: sample.init,
      hasWeights: false,
      backend,
      options: { between: 'off', batchSize: 32 },
    });
    const batchNorms = model.layers.filter((l) => l.getClassName() === 'BatchNormalization');
    expect(batchNorms.length).toBeGreaterThan(3);
    for (const bn of batchNorms) {
      const output = tf.model({ inputs: model.inputs, outputs: bn.output as tf.SymbolicTensor });
      const { mean, variance } = tf.moments(output.predict(sample.init) as tf.Tensor, [0, 1, 2]);
      for (const m of mean.dataSync()) expect(Math.abs(m)).toBeLessThan(1e-3);
      // ε = 1e-3 in the denominator: unit variance inputs come out at 1 / (1 + ε).
      for (const v of variance.dataSync()) expect(v).toBeCloseTo(1 / 1.001, 3);
    }
    // Convolutions without bias keep their measured mean; their channels still have unit std.
    for (const layer of preActivations(model, sample.init)) {
      if (layer.className !== 'Conv2D') continue;
      for (const s of layer.std) expect(Math.abs(s - 1)).toBeLessThanOrEqual(1e-3);
    }
  });

  it('gives LSUV layers unit output variance within its tolerance', async () => {
    const model = await loadExampleModel('vgg-cifar');
    const sample = await exampleImages([32, 32, 3], 128, 0);
    const report = await initialize({
      model,
      sample: sample.init,
      hasWeights: false,
      backend,
      options: { method: 'lsuv' },
    });
    expect(report.layers.every((l) => l.random.used === 'orthogonal')).toBe(true);
    expect(report.warnings.join(' ')).toMatch(/between-layer/);
    for (const layer of preActivations(model, sample.init)) {
      let meanOfSquares = 0;
      let grand = 0;
      layer.mean.forEach((m, c) => {
        meanOfSquares += layer.std[c]! ** 2 + m * m;
        grand += m;
      });
      const channels = layer.mean.length;
      const variance = meanOfSquares / channels - (grand / channels) ** 2;
      expect(Math.abs(variance - 1)).toBeLessThan(0.1);
    }
  });
});
