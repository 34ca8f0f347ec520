import * as tf from '@tensorflow/tfjs';
import { applyScales } from './apply-scales.js';
import { logSpread } from './between-layer.js';
import { solveScales } from './between-solve.js';
import { measureChangeRates } from './change-rate.js';
import { initialize } from './initialize.js';
import { createRng } from './rng.js';
import { buildScaleGraph } from './scale-graph.js';
import {
  analyse,
  exampleImages,
  loadExampleModel,
  median,
  preActivations,
  referenceRates,
  spread,
  useFastBackend,
} from './testing/fixtures.js';

let backend: Awaited<ReturnType<typeof useFastBackend>>;
beforeAll(async () => {
  backend = await useFastBackend();
});

describe('between-layer normalization (Algorithm 2)', () => {
  it('equalizes the change rates of the example VGG to within 1.2 with the closed form', async () => {
    const model = await loadExampleModel('vgg-cifar');
    const sample = await exampleImages([32, 32, 3], 256, 64);
    const batches = [...tf.split(sample.init, 4), sample.heldOut!];
    await initialize({ model, sample: sample.init, hasWeights: false, backend, options: { between: 'off' } });
    const before = spread(referenceRates(model, batches));
    const report = await initialize({
      model,
      sample: sample.init,
      heldOut: sample.heldOut,
      hasWeights: true,
      backend,
      options: { random: 'keep' },
    });
    const after = spread(referenceRates(model, batches));
    console.log(`VGG change-rate spread max/min: ${before.toFixed(2)} before, ${after.toFixed(3)} after`);
    expect(before).toBeGreaterThan(3);
    expect(after).toBeLessThanOrEqual(1.2);
    expect(report.changeRateSpread!.before).toBeGreaterThan(3);
    expect(report.passes.backward).toBe(2);
  });

  it.each(['vgg-cifar', 'resnet-bn', 'mixed-dag'])(
    'lands %s on exactly equal rates when measured again on the same batch and top gradient',
    async (name) => {
      const model = await loadExampleModel(name);
      const sample = await exampleImages(model.inputs[0]!.shape.slice(1) as number[], 64, 0);
      await initialize({
        model,
        sample: sample.init,
        hasWeights: false,
        backend,
        options: { between: 'off' },
      });
      const { graph, stepUnits, units } = analyse(model);
      const scales = buildScaleGraph(graph, stepUnits, new Set(units), { fixOutputs: true });
      const measure = () => measureChangeRates(graph, stepUnits, units, sample.init, createRng(7, 'same'));
      const before = measure();
      const all = units.map((_, i) => i);
      applyScales(scales, solveScales(scales, [{ measurement: before, logScale: new Map() }], all));
      const after = measure();
      expect(Math.exp(2 * logSpread(before.rates, all))).toBeGreaterThan(1.5);
      expect(Math.exp(2 * logSpread(after.rates, all))).toBeLessThan(1.001);
    },
  );

  it.each(['vgg-cifar', 'resnet-bn', 'mixed-dag'])(
    'preserves the function of %s (homogeneous layers, BatchNorm, merges, concatenation)',
    async (name) => {
      const model = await loadExampleModel(name);
      const sample = await exampleImages(model.inputs[0]!.shape.slice(1) as number[], 128, 64);
      await initialize({
        model,
        sample: sample.init,
        hasWeights: false,
        backend,
        options: { between: 'off' },
      });
      const outputsBefore = (model.predict(sample.heldOut!) as tf.Tensor).dataSync();
      const report = await initialize({
        model,
        sample: sample.init,
        heldOut: sample.heldOut,
        hasWeights: true,
        backend,
        options: { random: 'keep', iterations: 3 },
      });
      expect(report.layers.some((l) => Math.abs(Math.log(l.changeRate?.scale ?? 1)) > 0.05)).toBe(true);
      const outputsAfter = (model.predict(sample.heldOut!) as tf.Tensor).dataSync();
      const scale = Math.max(...Array.from(outputsBefore, Math.abs));
      const error = Math.max(...Array.from(outputsAfter, (v, i) => Math.abs(v - outputsBefore[i]!))) / scale;
      expect(error).toBeLessThanOrEqual(1e-4);
    },
  );

  it('scales the output by the output layer r in the paper’s iterative mode', async () => {
    const model = await loadExampleModel('vgg-cifar');
    const sample = await exampleImages([32, 32, 3], 128, 64);
    await initialize({ model, sample: sample.init, hasWeights: false, backend, options: { between: 'off' } });
    const outputsBefore = (model.predict(sample.heldOut!) as tf.Tensor).dataSync();
    const report = await initialize({
      model,
      sample: sample.init,
      hasWeights: true,
      backend,
      options: { random: 'keep', between: 'iterative', iterations: 4 },
    });
    const output = report.layers.at(-1)!;
    expect(output.changeRate!.scale).not.toBeCloseTo(1, 2);
    const outputsAfter = (model.predict(sample.heldOut!) as tf.Tensor).dataSync();
    const scale = Math.max(...Array.from(outputsBefore, Math.abs));
    const error = Math.max(
      ...Array.from(outputsAfter, (v, i) => Math.abs(v - output.changeRate!.scale * outputsBefore[i]!)),
    );
    expect(error / scale).toBeLessThanOrEqual(1e-4);
    expect(report.changeRateSpread!.after).toBeLessThan(report.changeRateSpread!.before);
  });

  it('keeps one scale per layer: channel std / s_k = 1 and mean / s_k = β', async () => {
    const model = await loadExampleModel('vgg-cifar');
    const sample = await exampleImages([32, 32, 3], 256, 64);
    const beta = 0.25;
    const report = await initialize({
      model,
      sample: sample.init,
      heldOut: sample.heldOut,
      hasWeights: false,
      backend,
      options: { beta },
    });
    const scaleOf = new Map(report.layers.map((l) => [l.name, l.changeRate?.scale ?? 1]));
    for (const layer of preActivations(model, sample.init)) {
      const s = scaleOf.get(layer.name)!;
      for (let c = 0; c < layer.std.length; c++) {
        expect(Math.abs(layer.std[c]! / s - 1)).toBeLessThanOrEqual(1e-3);
        expect(Math.abs(layer.mean[c]! / s - beta)).toBeLessThanOrEqual(1e-3);
      }
    }
    for (const layer of preActivations(model, sample.heldOut!)) {
      const s = scaleOf.get(layer.name)!;
      expect(median(layer.std.map((v) => Math.abs(v / s - 1)))).toBeLessThanOrEqual(0.15);
    }
    // The report's held-out statistics match the independent measurement.
    const heldOut = new Map(preActivations(model, sample.heldOut!).map((l) => [l.name, median(l.std)]));
    for (const layer of report.layers) {
      expect(layer.stats.heldOutAfter!.std.median).toBeCloseTo(heldOut.get(layer.name)!, 3);
    }
  });
});
