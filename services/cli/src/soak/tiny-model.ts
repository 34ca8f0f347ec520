/**
 * The soak's inputs: a tiny layers-model (two convolutions and a dense layer on 8×8×3 inputs) and a
 * dozen of the example images, so a job costs well under a second and the run measures the service,
 * not TensorFlow.
 */
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileStore, writeCheckpoint } from '@ddinit/storage';
import * as tf from '@tensorflow/tfjs';

const EXAMPLE_IMAGES = fileURLToPath(new URL('../../../../examples/images/', import.meta.url));
const IMAGE_COUNT = 12;

/** What a job's checkpoint must compute: its output for one input, shaped [1, OUTPUT_UNITS]. */
export const OUTPUT_UNITS = 3;
export const INPUT_SHAPE = [8, 8, 3] as const;

export interface SoakInputs {
  /** Key of model.json under the root. */
  modelKey: string;
  /** Folder of images under the root. */
  imagesKey: string;
}

export async function writeSoakInputs(root: string): Promise<SoakInputs> {
  // The cpu backend needs no native or wasm files; `IS_TEST` keeps it from advising tfjs-node.
  tf.env().set('IS_TEST', true);
  await tf.setBackend('cpu');
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [...INPUT_SHAPE], filters: 4, kernelSize: 3, activation: 'relu' }),
      tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: OUTPUT_UNITS }),
    ],
  });
  await writeCheckpoint(
    new FileStore(root),
    'model',
    {
      modelTopology: model.toJSON(null, false) as object,
      weights: model.weights.map((weight) => ({ name: weight.originalName, tensor: weight.read() })),
    },
    { format: ['tfjs'] },
  );
  model.dispose();

  const images = (await readdir(EXAMPLE_IMAGES))
    .filter((name) => name.endsWith('.jpg'))
    .sort()
    .slice(0, IMAGE_COUNT);
  await mkdir(path.join(root, 'images'), { recursive: true });
  await Promise.all(
    images.map((name) => copyFile(path.join(EXAMPLE_IMAGES, name), path.join(root, 'images', name))),
  );
  return { modelKey: 'model/model.json', imagesKey: 'images/' };
}
