import * as tf from '@tensorflow/tfjs';
import { buildModel } from './build-model.js';
import { convNet, outputOf, useCpuBackend } from './testing/models.js';

beforeAll(useCpuBackend);

/** The artifacts tfjs itself saves for a model. */
async function artifactsOf(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return saved!;
}

describe('buildModel', () => {
  it('builds a model with its weights', async () => {
    const model = convNet();
    expect(outputOf(await buildModel(await artifactsOf(model)))).toEqual(outputOf(model));
  });

  it('builds a topology-only model from its initializers', async () => {
    const { modelTopology } = await artifactsOf(convNet());
    const model = await buildModel({ modelTopology });
    expect(model.weights.map((w) => w.shape)).toEqual([[3, 3, 2, 3], [3], [3], [3], [48, 4], [4], [3], [3]]);
  });

  it('reports an unknown layer class as model_invalid, naming the source and the class', async () => {
    const { modelTopology } = await artifactsOf(convNet());
    const topology = JSON.parse(JSON.stringify(modelTopology));
    topology.config.layers[2].class_name = 'FancyFlatten';
    await expect(
      buildModel({ modelTopology: topology }, { source: 'file:///m/model.json' }),
    ).rejects.toMatchObject({
      code: 'model_invalid',
      message: expect.stringMatching(
        /^TensorFlow\.js cannot build the model from file:\/\/\/m\/model\.json: .*FancyFlatten/,
      ),
    });
  });

  it('reports a weight with the wrong shape as model_invalid', async () => {
    const artifacts = await artifactsOf(convNet());
    const specs = artifacts.weightSpecs!.map((spec) => ({ ...spec }));
    // Same byte count, different shape: only the layer can tell.
    specs[0]!.shape = [2, 3, 3, 3];
    await expect(buildModel({ ...artifacts, weightSpecs: specs })).rejects.toMatchObject({
      code: 'model_invalid',
      message: expect.stringMatching(
        /Shape mismatch.*\(conv2d_Conv2D\d+\/kernel is \[2,3,3,3\] in the weights but \[3,3,2,3\] in the model\)$/,
      ),
    });
  });

  it('reports a weight name the model does not have as model_invalid', async () => {
    const artifacts = await artifactsOf(convNet());
    const specs = artifacts.weightSpecs!.map((spec, i) =>
      i === 0 ? { ...spec, name: 'elsewhere/kernel' } : spec,
    );
    await expect(buildModel({ ...artifacts, weightSpecs: specs })).rejects.toMatchObject({
      code: 'model_invalid',
      message: expect.stringContaining('elsewhere/kernel'),
    });
  });

  it('reports missing weights as model_invalid (strict loading)', async () => {
    const artifacts = await artifactsOf(convNet());
    const specs = artifacts.weightSpecs!.slice(0, -1);
    const data = (artifacts.weightData as ArrayBuffer).slice(0, -16);
    await expect(buildModel({ ...artifacts, weightSpecs: specs, weightData: data })).rejects.toMatchObject({
      code: 'model_invalid',
    });
  });
});
