/**
 * Hostile and broken models, each generated here: every one is refused with its stable code and a
 * message that names the file and what is wrong, before tfjs allocates or loops over it.
 */
import * as tf from '@tensorflow/tfjs';
import { buildModel } from './build-model.js';
import { readModel } from './read-model.js';
import {
  checkpointOf,
  convNet,
  jsonBytes,
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

type Topology = { class_name: string; config: { layers: LayerJson[] } };
type LayerJson = {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes: unknown[];
};

/** input(5) → dense "a"(3) → dense "b"(5), as a functional topology. */
function chain(): Topology {
  const input = tf.input({ shape: [5], name: 'x' });
  const a = tf.layers.dense({ units: 3, name: 'a' }).apply(input) as tf.SymbolicTensor;
  const b = tf.layers.dense({ units: 5, name: 'b' }).apply(a) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: b }).toJSON(null, false) as unknown as Topology;
}

function layer(topology: Topology, name: string): LayerJson {
  return topology.config.layers.find((l) => l.name === name)!;
}

const text = (value: string) => new TextEncoder().encode(value);

/** The model.json (and shards) each case writes under `m/`. */
const hostile: [string, () => Promise<void>, string, RegExp][] = [
  [
    'invalid JSON',
    () => temp.store.put('m/model.json', text('{"modelTopology": {"class_name": "Sequential",]}')),
    'model_invalid_json',
    /m\/model\.json is not valid JSON: .*line 1, column 47/,
  ],
  [
    'a JSON document that is not a LayersModel',
    () => temp.store.put('m/model.json', jsonBytes({ weights: [1, 2, 3] })),
    'model_not_layers_model',
    /m\/model\.json is not a TensorFlow\.js layers-model model\.json: modelTopology is missing/,
  ],
  [
    'a cycle between two layers',
    () => {
      const topology = chain();
      layer(topology, 'a').inbound_nodes = [[['b', 0, 0, {}]]];
      return temp.store.put('m/model.json', jsonBytes({ modelTopology: topology }));
    },
    'model_invalid',
    /m\/model\.json: the layers form a cycle: "a" → "b" → "a"/,
  ],
  [
    'an input from a layer that does not exist',
    () => {
      const topology = chain();
      layer(topology, 'b').inbound_nodes = [[['ghost', 0, 0, {}]]];
      return temp.store.put('m/model.json', jsonBytes({ modelTopology: topology }));
    },
    'model_invalid',
    /layer "b" takes its input from layer "ghost", which the model does not have/,
  ],
  [
    'an input from a node a layer does not have',
    () => {
      const topology = chain();
      layer(topology, 'b').inbound_nodes = [[['a', 3, 0, {}]]];
      return temp.store.put('m/model.json', jsonBytes({ modelTopology: topology }));
    },
    'model_invalid',
    /layer "b" takes its input from node 3 of layer "a", which has 1 node/,
  ],
  [
    'an input from a second node of the input layer',
    () => {
      const topology = chain();
      layer(topology, 'a').inbound_nodes = [[['x', 1, 0, {}]]];
      return temp.store.put('m/model.json', jsonBytes({ modelTopology: topology }));
    },
    'model_invalid',
    /layer "a" takes its input from node 1 of layer "x", which has 1 node/,
  ],
  [
    'an output from a layer that does not exist',
    () => {
      const topology = chain();
      (topology.config as Record<string, unknown>).output_layers = [['ghost', 0, 0]];
      return temp.store.put('m/model.json', jsonBytes({ modelTopology: topology }));
    },
    'model_invalid',
    /output_layers names layer "ghost", which the model does not have/,
  ],
  [
    'two layers with one name',
    () => {
      const topology = chain();
      layer(topology, 'b').name = 'a';
      return temp.store.put('m/model.json', jsonBytes({ modelTopology: topology }));
    },
    'model_invalid',
    /two layers are named "a"/,
  ],
  [
    'a topology holding an array of half a million items',
    () => {
      const topology = chain() as unknown as { config: Record<string, unknown> };
      topology.config.padding = new Array(500_000).fill(0);
      (topology.config.layers as LayerJson[])[1]!.inbound_nodes = [[['ghost', 0, 0, {}]]];
      return temp.store.put('m/model.json', jsonBytes({ modelTopology: topology }));
    },
    'model_invalid',
    /takes its input from layer "ghost"/,
  ],
  [
    'a topology nested 100000 levels deep',
    () => {
      const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
      const json = JSON.stringify({ modelTopology: chain() }).replace(
        '"name":"a"',
        `"name":"a","deep":${deep}`,
      );
      return temp.store.put('m/model.json', text(json));
    },
    'model_invalid',
    /m\/model\.json: modelTopology nests more than 200 levels deep/,
  ],
  [
    'a manifest weight of 10^12 elements',
    () =>
      temp.store.put(
        'm/model.json',
        jsonBytes({
          modelTopology: chain(),
          weightsManifest: [
            {
              paths: ['never-read.bin'],
              weights: [{ name: 'a/kernel', shape: [1e6, 1e6], dtype: 'float32' }],
            },
          ],
        }),
      ),
    'model_too_large',
    /its weights take 4000000000000 bytes, over the limit of 2147483648 bytes \(maxWeightBytes\)/,
  ],
  [
    'weight shards shorter than the manifest',
    async () => {
      await writeCheckpoint(temp.store, 'm', checkpointOf(convNet()));
      const shard = (await temp.store.list('m/')).find((key) => key.endsWith('.bin'))!;
      await temp.store.put(shard, (await temp.store.get(shard)).subarray(0, 100));
    },
    'weights_size_mismatch',
    /m\/model\.json hold 100 bytes but its weightsManifest describes \d+ bytes \(shards are truncated/,
  ],
  [
    'weight shards longer than the manifest',
    async () => {
      await writeCheckpoint(temp.store, 'm', checkpointOf(convNet()));
      const shard = (await temp.store.list('m/')).find((key) => key.endsWith('.bin'))!;
      const bytes = await temp.store.get(shard);
      await temp.store.put(shard, Uint8Array.from([...bytes, 0, 0, 0, 0]));
    },
    'weights_size_mismatch',
    /shards hold extra data/,
  ],
];

describe('a hostile model.json is refused by readModel', () => {
  it.each(hostile)('%s', async (_, write, code, message) => {
    await write();
    const started = performance.now();
    await expect(readModel(temp.store, 'm/model.json')).rejects.toMatchObject({
      code,
      message: expect.stringMatching(message),
    });
    // Refused from the JSON and the stat of the shards: tfjs would loop forever or allocate terabytes.
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe('a model tfjs cannot build is refused by buildModel', () => {
  it('an unknown layer class, named', async () => {
    const topology = chain();
    layer(topology, 'b').class_name = 'QuantumDense';
    await temp.store.put('m/model.json', jsonBytes({ modelTopology: topology }));
    const artifacts = await readModel(temp.store, 'm/model.json');
    await expect(buildModel(artifacts, { source: temp.store.uri('m/model.json') })).rejects.toMatchObject({
      code: 'model_invalid',
      message: expect.stringMatching(/m\/model\.json: .*QuantumDense/),
    });
  });

  it('a kernel of 10^12 elements, before allocating it', async () => {
    const topology = chain();
    layer(topology, 'x').config.batch_input_shape = [null, 1e6];
    layer(topology, 'a').config.units = 1e6;
    await temp.store.put('m/model.json', jsonBytes({ modelTopology: topology }));
    const artifacts = await readModel(temp.store, 'm/model.json');
    const rss = process.memoryUsage().rss;
    const started = performance.now();
    await expect(buildModel(artifacts, { source: 'file:///m/model.json' })).rejects.toMatchObject({
      code: 'model_too_large',
      message:
        'file:///m/model.json is too large: layer "a" (Dense) would create weight "kernel" of shape ' +
        '[1000000, 1000000], bringing its parameters to 1000000000000 parameters, over the limit of ' +
        '500000000 parameters (maxParameters)',
    });
    expect(performance.now() - started).toBeLessThan(3000);
    expect(process.memoryUsage().rss - rss).toBeLessThan(64 * 1024 ** 2);
  });

  it('counts the parameters of every layer against maxParameters', async () => {
    // convNet: conv 3·3·2·3 + 3, batch norm 4·3, dense 48·4 + 4 = 54 + 3 + 12 + 196 = 265 parameters.
    const { modelTopology } = checkpointOf(convNet());
    await expect(buildModel({ modelTopology }, { maxParameters: 264 })).rejects.toMatchObject({
      code: 'model_too_large',
      message: expect.stringMatching(
        /layer "dense_Dense\d+" \(Dense\) would create weight "bias" of shape \[4\], bringing its parameters to 265 parameters, over the limit of 264/,
      ),
    });
    const model = await buildModel({ modelTopology }, { maxParameters: 265 });
    expect(model.countParams()).toBe(265);
    model.dispose();
  });

  it('builds a layer shared by two nodes, which is no cycle', async () => {
    const input = tf.input({ shape: [4] });
    const shared = tf.layers.dense({ units: 4, name: 'shared' });
    const once = shared.apply(input) as tf.SymbolicTensor;
    const middle = tf.layers.dense({ units: 4, name: 'middle' }).apply(once) as tf.SymbolicTensor;
    const twice = shared.apply(middle) as tf.SymbolicTensor;
    const modelTopology = tf.model({ inputs: input, outputs: twice }).toJSON(null, false) as object;
    await temp.store.put('m/model.json', jsonBytes({ modelTopology }));
    const model = await buildModel(await readModel(temp.store, 'm/model.json'));
    expect(model.layers.map((l) => l.name)).toEqual(expect.arrayContaining(['shared', 'middle']));
    model.dispose();
  });
});

describe('model limits', () => {
  it('maxModelJsonBytes: a lowered limit trips with model_too_large, the default lets the model through', async () => {
    await writeCheckpoint(temp.store, 'm', checkpointOf(convNet()));
    const { bytes } = (await temp.store.stat('m/model.json'))!;
    await expect(
      readModel(temp.store, 'm/model.json', { maxModelJsonBytes: bytes - 1 }),
    ).rejects.toMatchObject({
      code: 'model_too_large',
      message: expect.stringContaining(
        `is too large: the file is ${bytes} bytes, over the limit of ${bytes - 1} bytes (maxModelJsonBytes)`,
      ),
    });
    await expect(readModel(temp.store, 'm/model.json', { maxModelJsonBytes: bytes })).resolves.toBeDefined();
  });

  it('maxWeightBytes: a lowered limit trips with model_too_large, an equal one lets the weights through', async () => {
    await writeCheckpoint(temp.store, 'm', checkpointOf(convNet()));
    await expect(readModel(temp.store, 'm/model.json', { maxWeightBytes: 1059 })).rejects.toMatchObject({
      code: 'model_too_large',
      message: expect.stringContaining(
        'its weights take 1060 bytes, over the limit of 1059 bytes (maxWeightBytes)',
      ),
    });
    const artifacts = await readModel(temp.store, 'm/model.json', { maxWeightBytes: 1060 });
    expect((artifacts.weightData as ArrayBuffer).byteLength).toBe(1060);
  });
});
