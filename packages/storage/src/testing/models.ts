/** Shared by the tests: temporary stores, small models, and loaders that do not go through readModel. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { FileStore } from '../file-store.js';
import type { ObjectStore } from '../object-store.js';
import type { Checkpoint } from '../write-checkpoint.js';

/** Runs tfjs on the pure-JS cpu backend, without its "install the node backend" advice. */
export async function useCpuBackend(): Promise<void> {
  tf.env().set('IS_TEST', true);
  await tf.setBackend('cpu');
}

export interface TempStore {
  store: FileStore;
  root: string;
  /** Removes the folder. */
  cleanup(): Promise<void>;
}

/** A FileStore over a fresh temporary folder. */
export async function tempStore(): Promise<TempStore> {
  const root = await mkdtemp(path.join(tmpdir(), 'ddinit-storage-'));
  return { store: new FileStore(root), root, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** Conv2D → BatchNormalization → Flatten → Dense, with non-trivial BatchNormalization statistics. */
export function convNet(): tf.Sequential {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 3, kernelSize: 3, activation: 'relu' }),
      tf.layers.batchNormalization(),
      tf.layers.flatten(),
      tf.layers.dense({ units: 4 }),
    ],
  });
  randomizeWeights(model);
  return model;
}

/** A functional model with two branches merged by addition. */
export function branchyNet(): tf.LayersModel {
  const input = tf.input({ shape: [5] });
  const left = tf.layers.dense({ units: 3 }).apply(input) as tf.SymbolicTensor;
  const normed = tf.layers.batchNormalization().apply(left) as tf.SymbolicTensor;
  const right = tf.layers.dense({ units: 3, activation: 'tanh' }).apply(input) as tf.SymbolicTensor;
  const output = tf.layers.add().apply([normed, right]) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output });
  randomizeWeights(model);
  return model;
}

/** Replaces every weight (BatchNormalization variances stay positive) so a reload is a real test. */
function randomizeWeights(model: tf.LayersModel): void {
  model.setWeights(
    model.weights.map((w, i) => tf.randomUniform(w.shape as number[], 0.5, 1.5, 'float32', i + 1)),
  );
}

/** The checkpoint `writeCheckpoint` expects, for a model as it is now. */
export function checkpointOf(model: tf.LayersModel, extra: Partial<Checkpoint> = {}): Checkpoint {
  return {
    modelTopology: model.toJSON(null, false) as object,
    weights: model.weights.map((w) => ({ name: w.originalName, tensor: w.read() })),
    ...extra,
  };
}

/** The model's output on a fixed input, as plain numbers. */
export function outputOf(model: tf.LayersModel): number[] {
  const shape = [2, ...(model.inputs[0]!.shape.slice(1) as number[])];
  return tf.tidy(() => {
    const x = tf.randomNormal(shape, 0, 1, 'float32', 42);
    return Array.from((model.predict(x) as tf.Tensor).dataSync());
  });
}

/**
 * Loads a layers-model straight from a folder the way tfjs-node's `file://` handler does: model.json,
 * then the manifest's shards concatenated. It checks the written files without going through readModel.
 */
export async function loadWithTfjs(folder: string): Promise<tf.LayersModel> {
  const handler: tf.io.IOHandler = {
    load: async () => {
      const modelJson = JSON.parse(
        await readFile(path.join(folder, 'model.json'), 'utf8'),
      ) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const paths = manifest.flatMap((group) => group.paths);
        const shards = await Promise.all(paths.map((p) => readFile(path.join(folder, p))));
        const data = tf.io.concatenateArrayBuffers(shards.map((s) => new Uint8Array(s).buffer));
        return [manifest.flatMap((group) => group.weights), data];
      });
    },
  };
  return tf.loadLayersModel(handler, { strict: true });
}

/** A store that records the order of its writes. */
export class RecordingStore implements ObjectStore {
  readonly puts: string[] = [];
  constructor(private readonly inner: ObjectStore) {}
  uri(key: string) {
    return this.inner.uri(key);
  }
  get(key: string) {
    return this.inner.get(key);
  }
  async put(key: string, data: Uint8Array) {
    this.puts.push(key);
    await this.inner.put(key, data);
  }
  delete(keys: readonly string[]) {
    return this.inner.delete(keys);
  }
  list(prefix: string, options?: { limit?: number }) {
    return this.inner.list(prefix, options);
  }
  stat(key: string) {
    return this.inner.stat(key);
  }
}

/** UTF-8 bytes of a value's JSON. */
export function jsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}
