/**
 * A job that fails on its input leaves the output location as it found it: no model.json, no shards,
 * no report, no stray partial files. And the limits reach the readers: lowered, they fail the job with
 * their code; at their defaults the same job writes its checkpoint.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileStore, writeCheckpoint } from '@ddinit/storage';
import { type BackendInfo, selectBackend } from '@ddinit/tf';
import * as tf from '@tensorflow/tfjs';
import { encodeImage, noise, pngWithHeader } from '../../data/test/fixtures.js';
import { type InitJob, runInitJob } from './run-init-job.js';

let root: string;
let input: FileStore;
let output: FileStore;
let backend: BackendInfo;

beforeAll(async () => {
  tf.env().set('IS_TEST', true);
  backend = await selectBackend('cpu');
});
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'ddinit-pipeline-'));
  input = new FileStore(path.join(root, 'in'));
  output = new FileStore(path.join(root, 'out'));
  await writeModel();
  for (let i = 0; i < 6; i++)
    await input.put(`images/img-${i}.png`, await encodeImage(noise(12, 10, 3, i + 1), 12, 10, 3, 'png'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

/** conv (3×3, 4 filters) → flatten → dense(2) on 8×8 RGB, with its weights, at `model/model.json`. */
async function writeModel(edit?: (weights: tf.Tensor[]) => tf.Tensor[]): Promise<void> {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [8, 8, 3],
        filters: 4,
        kernelSize: 3,
        activation: 'relu',
        name: 'conv',
      }),
      tf.layers.flatten({ name: 'flat' }),
      tf.layers.dense({ units: 2, name: 'head' }),
    ],
  });
  if (edit) model.setWeights(edit(model.getWeights()));
  await writeCheckpoint(input, 'model', {
    modelTopology: model.toJSON(null, false) as object,
    weights: model.weights.map((w) => ({ name: w.originalName, tensor: w.read() })),
  });
  model.dispose();
}

function job(extra: Partial<InitJob> = {}): InitJob {
  return {
    model: { store: input, key: 'model/model.json' },
    data: { store: input, prefix: 'images' },
    output: { store: output, prefix: 'ckpt' },
    options: { sample: 4, heldOut: 0, batchSize: 2 },
    backend,
    ...extra,
  };
}

/** Every file under the output root, partial ones included. */
async function outputFiles(): Promise<string[]> {
  try {
    return await readdir(output.root, { recursive: true, withFileTypes: true }).then((entries) =>
      entries.filter((entry) => entry.isFile()).map((entry) => entry.name),
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

const failures: [string, () => Promise<Partial<InitJob>>, string, RegExp][] = [
  [
    'a model whose layers form a cycle',
    async () => {
      const json = JSON.parse(new TextDecoder().decode(await input.get('model/model.json')));
      // Dense "a" takes its input from "b", which takes it from "a": tfjs alone would loop forever.
      json.modelTopology = {
        class_name: 'Model',
        config: {
          name: 'loop',
          layers: [
            {
              name: 'x',
              class_name: 'InputLayer',
              config: { batch_input_shape: [null, 4], name: 'x' },
              inbound_nodes: [],
            },
            {
              name: 'a',
              class_name: 'Dense',
              config: { units: 4, name: 'a' },
              inbound_nodes: [[['b', 0, 0, {}]]],
            },
            {
              name: 'b',
              class_name: 'Dense',
              config: { units: 4, name: 'b' },
              inbound_nodes: [[['a', 0, 0, {}]]],
            },
          ],
          input_layers: [['x', 0, 0]],
          output_layers: [['b', 0, 0]],
        },
      };
      delete json.weightsManifest;
      await input.put('model/model.json', new TextEncoder().encode(JSON.stringify(json)));
      return {};
    },
    'model_invalid',
    /the layers form a cycle/,
  ],
  [
    'a decompression bomb among the images',
    async () => {
      await input.put('images/zz-bomb.png', pngWithHeader(100_000, 100_000));
      // Sample every image, so the bomb is drawn whatever the seed.
      return { options: { sample: 7, heldOut: 0, batchSize: 2 } };
    },
    'image_too_large',
    /zz-bomb\.png is 100000×100000 = 10000000000 pixels/,
  ],
  [
    'NaN weights with random: keep',
    async () => {
      await writeModel((weights) =>
        weights.map((w, i) =>
          i === 2
            ? tf.tensor(
                w.dataSync().map((v, j) => (j === 7 ? Number.NaN : v)),
                w.shape,
              )
            : w,
        ),
      );
      return { options: { sample: 4, heldOut: 0, batchSize: 2, random: 'keep' } };
    },
    'weights_not_finite',
    /weight "head\/kernel" of layer "head" holds NaN at index 7 \(1 non-finite value in it\); with random: keep/,
  ],
  [
    'infinite weights with random: keep',
    async () => {
      await writeModel((weights) => weights.map((w, i) => (i === 1 ? tf.fill(w.shape, -Infinity) : w)));
      return { options: { sample: 4, heldOut: 0, batchSize: 2, random: 'keep' } };
    },
    'weights_not_finite',
    /weight "conv\/bias" of layer "conv" holds -Infinity at index 0 \(4 non-finite values in it\)/,
  ],
  [
    'a model over a lowered maxParameters',
    async () => ({ limits: { maxParameters: 100 } }),
    'model_too_large',
    /layer "conv" \(Conv2D\) would create weight "kernel" of shape \[3, 3, 3, 4\], bringing its parameters to 108 parameters, over the limit of 100 parameters \(maxParameters\)/,
  ],
  [
    'a sample over a lowered maxSampleImages',
    async () => ({ limits: { maxSampleImages: 3 } }),
    'sample_too_large',
    /over the limit of 3 samples \(maxSampleImages\)/,
  ],
];

describe('runInitJob leaves no output behind when it fails', () => {
  it.each(failures)('%s', async (_, prepare, code, message) => {
    const extra = await prepare();
    await expect(runInitJob(job(extra))).rejects.toMatchObject({
      code,
      message: expect.stringMatching(message),
    });
    expect(await outputFiles()).toEqual([]);
  });

  it('writes the checkpoint of the same job when the limits allow exactly what it needs', async () => {
    // conv 3·3·3·4 + 4 and dense 144·2 + 2: 402 parameters; 4 samples.
    const { files } = await runInitJob(job({ limits: { maxParameters: 402, maxSampleImages: 4 } }));
    expect(files.map((file) => file.uri).some((uri) => uri.endsWith('ckpt/model.json'))).toBe(true);
    expect(await outputFiles()).toEqual(expect.arrayContaining(['model.json', 'report.json']));
  });
});
