import { DEFAULT_LIMITS, isDdinitError, type Limits } from '@ddinit/contracts';
import { io } from '@tensorflow/tfjs';
import {
  modelNotFound,
  modelTooLarge,
  objectNotFound,
  weightsNotFound,
  weightsPathInvalid,
  weightsSizeMismatch,
} from './errors.js';
import { keyFolder, resolveInside } from './keys.js';
import { parseModelJson } from './model-json.js';
import type { ObjectStore } from './object-store.js';
import { weightSpecBytes } from './weight-specs.js';

/** Limits that keep a hostile or mistaken model from exhausting memory (defaults: `DEFAULT_LIMITS`). */
export type ReadModelOptions = Partial<Pick<Limits, 'maxModelJsonBytes' | 'maxWeightBytes'>>;

/**
 * Reads a tfjs layers-model: `key` is its `model.json`, and the shards its `weightsManifest` lists are
 * read from the same folder. A `model.json` without a manifest (or with an empty one) is a bare
 * architecture: the artifacts then carry no `weightSpecs` or `weightData`.
 */
export async function readModel(
  store: ObjectStore,
  key: string,
  options: ReadModelOptions = {},
): Promise<io.ModelArtifacts> {
  const uri = store.uri(key);
  const bytes = await readModelJson(
    store,
    key,
    options.maxModelJsonBytes ?? DEFAULT_LIMITS.maxModelJsonBytes,
  );
  const modelJson = parseModelJson(bytes, uri);
  if (modelJson.weightsManifest?.length === 0) delete (modelJson as Partial<io.ModelJSON>).weightsManifest;
  const maxWeightBytes = options.maxWeightBytes ?? DEFAULT_LIMITS.maxWeightBytes;
  return io.getModelArtifactsForJSON(modelJson, async (manifest) => {
    const weightSpecs = manifest.flatMap((group) => group.weights);
    const weightData = await readWeights(store, key, manifest, weightSpecs, maxWeightBytes);
    return [weightSpecs, weightData];
  });
}

async function readModelJson(store: ObjectStore, key: string, limit: number): Promise<Uint8Array> {
  const uri = store.uri(key);
  // Stat first so an oversized file is refused before it is downloaded.
  const info = await store.stat(key);
  if (info === undefined) throw modelNotFound(uri);
  if (info.bytes > limit) throw modelTooLarge(uri, 'the file is', info.bytes, limit, 'maxModelJsonBytes');
  const bytes = await getOr(store, key, () => modelNotFound(uri));
  if (bytes.length > limit) throw modelTooLarge(uri, 'the file is', bytes.length, limit, 'maxModelJsonBytes');
  return bytes;
}

/**
 * Concatenates the shards of every manifest group, in order, into one buffer. Every shard is stat-ed
 * first, so a missing shard or a size that disagrees with the manifest fails before any download.
 */
async function readWeights(
  store: ObjectStore,
  key: string,
  manifest: io.WeightsManifestConfig,
  specs: io.WeightsManifestEntry[],
  limit: number,
): Promise<ArrayBuffer> {
  const uri = store.uri(key);
  const expected = specs.reduce((total, spec) => total + weightSpecBytes(spec), 0);
  if (expected > limit) throw modelTooLarge(uri, 'its weights take', expected, limit, 'maxWeightBytes');

  const folder = keyFolder(key);
  const shardKeys = manifest.flatMap((group) =>
    group.paths.map((path) => {
      const resolved = resolveInside(folder, path);
      if ('problem' in resolved) throw weightsPathInvalid(uri, path, resolved.problem);
      return resolved.key;
    }),
  );
  const sizes = await Promise.all(
    shardKeys.map(async (shardKey) => {
      const info = await store.stat(shardKey);
      if (info === undefined) throw weightsNotFound(store.uri(shardKey), uri);
      return info.bytes;
    }),
  );
  const actual = sizes.reduce((total, size) => total + size, 0);
  if (actual !== expected) throw weightsSizeMismatch(uri, expected, actual);

  // One buffer of the expected size, filled shard by shard: peak memory is the weights plus one shard.
  const data = new Uint8Array(expected);
  let offset = 0;
  for (const [i, shardKey] of shardKeys.entries()) {
    const shard = await getOr(store, shardKey, () => weightsNotFound(store.uri(shardKey), uri));
    const statted = sizes[i]!;
    // The shard changed between stat and get.
    if (shard.length !== statted) throw weightsSizeMismatch(uri, expected, actual - statted + shard.length);
    data.set(shard, offset);
    offset += shard.length;
  }
  return data.buffer;
}

/** `store.get`, with the store's `object_not_found` replaced by a more specific error. */
async function getOr(store: ObjectStore, key: string, notFound: () => Error): Promise<Uint8Array> {
  try {
    return await store.get(key);
  } catch (error) {
    if (isDdinitError(error) && error.code === objectNotFound.code) throw notFound();
    throw error;
  }
}
