import * as tf from '@tensorflow/tfjs';
import { buildModel } from './build-model.js';
import { readModel } from './read-model.js';
import {
  checkpointOf,
  convNet,
  jsonBytes,
  outputOf,
  type TempStore,
  tempStore,
  useCpuBackend,
} from './testing/models.js';
import { writeCheckpoint } from './write-checkpoint.js';

let temp: TempStore;
beforeAll(useCpuBackend);
beforeEach(async () => {
  temp = await tempStore();
});
afterEach(() => temp.cleanup());

const text = (value: string) => new TextEncoder().encode(value);
const topology = () => convNet().toJSON(null, false) as object;

/** Writes a model.json whose manifest lists the given shards, with specs for `floats` float32 values. */
async function putModel(shards: Record<string, number>, floats: number, paths = Object.keys(shards)) {
  for (const [key, bytes] of Object.entries(shards)) await temp.store.put(`m/${key}`, new Uint8Array(bytes));
  const weights = [{ name: 'w', shape: [floats], dtype: 'float32' }];
  await temp.store.put(
    'm/model.json',
    jsonBytes({ modelTopology: topology(), weightsManifest: [{ paths, weights }] }),
  );
}

describe('readModel', () => {
  it('reads a checkpoint back with its weights', async () => {
    const model = convNet();
    await writeCheckpoint(temp.store, 'm', checkpointOf(model), { shardBytes: 50 });
    const artifacts = await readModel(temp.store, 'm/model.json');
    expect(artifacts.format).toBe('layers-model');
    expect(artifacts.weightSpecs!.map((spec) => spec.name)).toEqual(model.weights.map((w) => w.originalName));
    const bytes = model.weights.reduce((total, w) => total + 4 * w.read().size, 0);
    expect((artifacts.weightData as ArrayBuffer).byteLength).toBe(bytes);
    expect(outputOf(await buildModel(artifacts))).toEqual(outputOf(model));
  });

  it('reads a topology-only model.json as artifacts without weights, which build', async () => {
    const modelTopology = topology();
    await temp.store.put('m/model.json', jsonBytes({ format: 'layers-model', modelTopology }));
    const artifacts = await readModel(temp.store, 'm/model.json');
    expect(artifacts.modelTopology).toEqual(modelTopology);
    expect(artifacts.weightSpecs).toBeUndefined();
    expect(artifacts.weightData).toBeUndefined();
    const model = await buildModel(artifacts);
    expect(model.layers.map((layer) => layer.getClassName())).toEqual([
      'Conv2D',
      'BatchNormalization',
      'Flatten',
      'Dense',
    ]);
  });

  it('treats an empty weightsManifest as topology only', async () => {
    await temp.store.put('m/model.json', jsonBytes({ modelTopology: topology(), weightsManifest: [] }));
    const artifacts = await readModel(temp.store, 'm/model.json');
    expect(artifacts.weightData).toBeUndefined();
    await expect(buildModel(artifacts)).resolves.toBeDefined();
  });

  it('accepts a Keras HDF5 conversion, whose topology wraps the model in model_config', async () => {
    const wrapped = { keras_version: '2.15.0', backend: 'tensorflow', model_config: topology() };
    await temp.store.put('m/model.json', jsonBytes({ modelTopology: wrapped }));
    const model = await buildModel(await readModel(temp.store, 'm/model.json'));
    expect(model.layers).toHaveLength(4);
  });

  it('reads the example models of the repository', async () => {
    const { FileStore } = await import('./file-store.js');
    const examples = new FileStore(new URL('../../../examples/models', import.meta.url).pathname);
    const keys = (await examples.list('')).filter((key) => key.endsWith('/model.json'));
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      const model = await buildModel(await readModel(examples, key), { source: examples.uri(key) });
      expect(model.layers.length).toBeGreaterThan(1);
      model.dispose();
    }
  });

  it('concatenates the shards of several groups in order', async () => {
    const values = [1, 2, 3, 4, 5, 6];
    const bytes = new Uint8Array(Float32Array.from(values).buffer);
    await temp.store.put('m/a.bin', bytes.subarray(0, 8));
    await temp.store.put('m/sub/b.bin', bytes.subarray(8, 12));
    await temp.store.put('m/c.bin', bytes.subarray(12));
    const manifest = [
      { paths: ['a.bin', './sub/b.bin'], weights: [{ name: 'x', shape: [3], dtype: 'float32' }] },
      { paths: ['sub/../c.bin'], weights: [{ name: 'y', shape: [3], dtype: 'float32' }] },
    ];
    await temp.store.put('m/model.json', jsonBytes({ modelTopology: topology(), weightsManifest: manifest }));
    const artifacts = await readModel(temp.store, 'm/model.json');
    expect(Array.from(new Float32Array(artifacts.weightData as ArrayBuffer))).toEqual(values);
    expect(artifacts.weightSpecs!.map((spec) => spec.name)).toEqual(['x', 'y']);
  });

  it('sizes quantized weights by their stored dtype and leaves dequantizing to tfjs', async () => {
    const manifest = [
      {
        paths: ['w.bin'],
        weights: [
          {
            name: 'a',
            shape: [2, 2],
            dtype: 'float32',
            quantization: { dtype: 'uint8', min: -1, scale: 0.5 },
          },
          { name: 'b', shape: [3], dtype: 'float32', quantization: { dtype: 'float16' } },
          { name: 'c', shape: [1], dtype: 'int32', quantization: { dtype: 'uint16', min: 0, scale: 1 } },
          { name: 'd', shape: [2], dtype: 'bool' },
        ],
      },
    ];
    const a = Uint8Array.of(0, 1, 2, 4);
    const b = new Uint8Array(Uint16Array.of(0x3c00, 0x4000, 0xbc00).buffer); // 1, 2, -1 in float16
    const c = new Uint8Array(Uint16Array.of(7).buffer);
    const d = Uint8Array.of(1, 0);
    await temp.store.put('m/w.bin', Uint8Array.from([...a, ...b, ...c, ...d]));
    await temp.store.put('m/model.json', jsonBytes({ modelTopology: topology(), weightsManifest: manifest }));

    const artifacts = await readModel(temp.store, 'm/model.json');
    expect((artifacts.weightData as ArrayBuffer).byteLength).toBe(4 + 6 + 2 + 2);
    const decoded = tf.io.decodeWeights(artifacts.weightData!, artifacts.weightSpecs!);
    expect(Array.from(decoded.a!.dataSync())).toEqual([-1, -0.5, 0, 1]);
    expect(Array.from(decoded.b!.dataSync())).toEqual([1, 2, -1]);
    expect(Array.from(decoded.c!.dataSync())).toEqual([7]);
    expect(Array.from(decoded.d!.dataSync())).toEqual([1, 0]);
  });

  describe('refuses', () => {
    it('a missing model.json', async () => {
      await expect(readModel(temp.store, 'nope/model.json')).rejects.toMatchObject({
        code: 'model_not_found',
        message: expect.stringContaining('nope/model.json'),
      });
    });

    it('invalid JSON, naming the file and the position', async () => {
      await temp.store.put('m/model.json', text('{\n  "format": "layers-model",\n  "modelTopology": {,}\n}'));
      await expect(readModel(temp.store, 'm/model.json')).rejects.toMatchObject({
        code: 'model_invalid_json',
        message: expect.stringMatching(
          /m\/model\.json is not valid JSON: .* at line 3, column 21 \(position 50\)$/,
        ),
      });
    });

    it('invalid JSON with an unexpected token, which V8 reports without a position', async () => {
      await temp.store.put('m/model.json', text('{"format": nope}'));
      await expect(readModel(temp.store, 'm/model.json')).rejects.toMatchObject({
        code: 'model_invalid_json',
        message: expect.stringContaining('line 1, column 12 (position 11)'),
      });
    });

    it('a file that is not UTF-8', async () => {
      await temp.store.put('m/model.json', Uint8Array.of(0x7b, 0xff, 0x7d));
      await expect(readModel(temp.store, 'm/model.json')).rejects.toMatchObject({
        code: 'model_invalid_json',
      });
    });

    it.each([
      ['a graph-model', { format: 'graph-model', modelTopology: { node: [] } }, /graph-model/],
      ['an unknown format', { format: 'keras', modelTopology: {} }, /format is "keras"/],
      ['random JSON', { hello: 'world' }, /modelTopology is missing/],
      ['an array', [1, 2], /an array, not an object/],
      ['a topology without class_name', { modelTopology: { config: {} } }, /class_name and config/],
    ])('%s', async (_, json, message) => {
      await temp.store.put('m/model.json', jsonBytes(json));
      await expect(readModel(temp.store, 'm/model.json')).rejects.toMatchObject({
        code: 'model_not_layers_model',
        message: expect.stringMatching(message),
      });
    });

    it.each([
      ['shorter', 16],
      ['longer', 24],
    ])('shards %s than the manifest, naming expected and actual bytes', async (_, bytes) => {
      await putModel({ 'a.bin': 8, 'b.bin': bytes - 8 }, 5);
      await expect(readModel(temp.store, 'm/model.json')).rejects.toMatchObject({
        code: 'weights_size_mismatch',
        message: expect.stringContaining(`hold ${bytes} bytes but its weightsManifest describes 20 bytes`),
      });
    });

    it.each([
      ['../outside.bin', 'climbs out of its folder'],
      ['sub/../../outside.bin', 'climbs out of its folder'],
      ['/abs.bin', 'absolute path'],
      ['https://example.com/a.bin', 'URL'],
      ['..\\outside.bin', 'backslash'],
    ])('a manifest path %s', async (path, problem) => {
      await temp.store.put('outside.bin', new Uint8Array(4));
      await putModel({}, 1, [path]);
      await expect(readModel(temp.store, 'm/model.json')).rejects.toMatchObject({
        code: 'weights_path_invalid',
        message: expect.stringContaining(problem),
      });
    });

    it('a missing shard', async () => {
      await putModel({ 'a.bin': 4 }, 2, ['a.bin', 'b.bin']);
      await expect(readModel(temp.store, 'm/model.json')).rejects.toMatchObject({
        code: 'weights_not_found',
        message: expect.stringMatching(/m\/b\.bin listed in .*m\/model\.json/),
      });
    });

    it.each([
      ['a string weight', { name: 's', shape: [1], dtype: 'string' }, /dtype "string" is not supported/],
      ['a bad shape', { name: 's', shape: [-1], dtype: 'float32' }, /shape/],
      [
        'an unknown quantization',
        { name: 's', shape: [1], dtype: 'float32', quantization: { dtype: 'int4' } },
        /int4/,
      ],
      [
        'uint8 without scale',
        { name: 's', shape: [1], dtype: 'float32', quantization: { dtype: 'uint8' } },
        /scale/,
      ],
    ])('a manifest with %s', async (_, spec, message) => {
      const manifest = [{ paths: [], weights: [spec] }];
      await temp.store.put(
        'm/model.json',
        jsonBytes({ modelTopology: topology(), weightsManifest: manifest }),
      );
      await expect(readModel(temp.store, 'm/model.json')).rejects.toMatchObject({
        code: 'model_manifest_invalid',
        message: expect.stringMatching(message),
      });
    });

    it('a model.json over maxModelJsonBytes', async () => {
      await temp.store.put('m/model.json', jsonBytes({ modelTopology: topology() }));
      await expect(readModel(temp.store, 'm/model.json', { maxModelJsonBytes: 100 })).rejects.toMatchObject({
        code: 'model_too_large',
        message: expect.stringContaining('over the limit of 100 bytes (maxModelJsonBytes)'),
      });
    });

    it('weights over maxWeightBytes, before reading any shard', async () => {
      await putModel({}, 1000, ['never-read.bin']);
      await expect(readModel(temp.store, 'm/model.json', { maxWeightBytes: 3999 })).rejects.toMatchObject({
        code: 'model_too_large',
        message: expect.stringContaining('is too large: its weights take 4000 bytes, over the limit of 3999'),
      });
    });
  });
});
