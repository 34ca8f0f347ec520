import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { buildModel } from './build-model.js';
import { readModel } from './read-model.js';
import { decodeSafetensors } from './safetensors.js';
import {
  branchyNet,
  checkpointOf,
  convNet,
  loadWithTfjs,
  outputOf,
  RecordingStore,
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

describe('writeCheckpoint', () => {
  it.each([
    ['a Sequential conv net', convNet],
    ['a functional model', branchyNet],
  ])('writes %s that tfjs reloads with identical outputs', async (_, make) => {
    const model = make();
    await writeCheckpoint(temp.store, 'out/run1', checkpointOf(model));

    const byTfjs = await loadWithTfjs(path.join(temp.root, 'out/run1'));
    expect(outputOf(byTfjs)).toEqual(outputOf(model));
    const byReadModel = await buildModel(await readModel(temp.store, 'out/run1/model.json'));
    expect(outputOf(byReadModel)).toEqual(outputOf(model));
  });

  it('writes the model.json fields tfjs expects and keeps the topology untouched', async () => {
    const model = convNet();
    const checkpoint = checkpointOf(model);
    await writeCheckpoint(temp.store, 'out', checkpoint, { generatedBy: 'ddinit test' });
    const modelJson = JSON.parse(await readFile(path.join(temp.root, 'out/model.json'), 'utf8'));
    expect(modelJson).toMatchObject({
      format: 'layers-model',
      generatedBy: 'ddinit test',
      convertedBy: null,
    });
    expect(modelJson.modelTopology).toEqual(checkpoint.modelTopology);
    expect(modelJson.weightsManifest).toHaveLength(1);
    expect(modelJson.weightsManifest[0].paths).toEqual(['group1-shard1of1.bin']);
    expect(modelJson.weightsManifest[0].weights.map((w: { name: string }) => w.name)).toEqual(
      model.weights.map((w) => w.originalName),
    );
  });

  it('splits the weights into shards of at most shardBytes', async () => {
    const model = convNet();
    const total = model.weights.reduce((sum, w) => sum + 4 * w.shape.reduce((a, b) => a! * b!, 1)!, 0);
    const { files } = await writeCheckpoint(temp.store, 'out', checkpointOf(model), { shardBytes: 100 });

    const count = Math.ceil(total / 100);
    expect(count).toBeGreaterThan(2);
    const shards = files.filter((file) => file.key.endsWith('.bin'));
    expect(shards.map((file) => file.key)).toEqual(
      Array.from({ length: count }, (_, i) => `out/group1-shard${i + 1}of${count}.bin`),
    );
    expect(shards.map((file) => file.bytes)).toEqual([
      ...Array(count - 1).fill(100),
      total - 100 * (count - 1),
    ]);
    const reloaded = await loadWithTfjs(path.join(temp.root, 'out'));
    expect(outputOf(reloaded)).toEqual(outputOf(model));
  });

  it('writes shards, then safetensors, then model.json, then extra files, then report.json', async () => {
    const recording = new RecordingStore(temp.store);
    const html = new TextEncoder().encode('<html></html>');
    const checkpoint = checkpointOf(convNet(), {
      report: { ok: true },
      extraFiles: [
        { key: 'report.html', data: html },
        { key: 'plots/a.svg', data: html },
      ],
    });
    const { files } = await writeCheckpoint(recording, 'out/', checkpoint, { shardBytes: 64 });

    const order = recording.puts;
    expect(files.map((file) => file.key)).toEqual(order);
    const rank = (key: string) => {
      if (/group1-shard\d+of\d+\.bin$/.test(key)) return 0;
      return (
        [
          'out/weights.safetensors',
          'out/model.json',
          'out/report.html',
          'out/plots/a.svg',
          'out/report.json',
        ].indexOf(key) + 1
      );
    };
    expect(order.map(rank)).toEqual([...order.map(rank)].sort((a, b) => a - b));
    expect(order.filter((key) => rank(key) === 0).length).toBeGreaterThan(1);
    expect(order.slice(-5)).toEqual([
      'out/weights.safetensors',
      'out/model.json',
      'out/report.html',
      'out/plots/a.svg',
      'out/report.json',
    ]);
  });

  it('returns the uri, size and sha256 of every file', async () => {
    const { files } = await writeCheckpoint(temp.store, 'out', checkpointOf(convNet(), { report: { a: 1 } }));
    for (const file of files) {
      const bytes = await readFile(path.join(temp.root, file.key));
      expect(file.bytes).toBe(bytes.length);
      expect(file.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(file.uri).toBe(temp.store.uri(file.key));
    }
    expect(JSON.parse(await readFile(path.join(temp.root, 'out/report.json'), 'utf8'))).toEqual({ a: 1 });
  });

  it('writes a safetensors file holding the same tensors under the tfjs names', async () => {
    const model = convNet();
    await writeCheckpoint(temp.store, 'out', checkpointOf(model), { format: ['safetensors'] });

    const decoded = decodeSafetensors(await temp.store.get('out/weights.safetensors'));
    expect(decoded.metadata).toEqual({ format: 'tfjs' });
    expect(decoded.weights.map((w) => w.name)).toEqual(model.weights.map((w) => w.originalName));
    decoded.weights.forEach(({ tensor }, i) => {
      expect(tensor.shape).toEqual(model.weights[i]!.shape);
      expect(Array.from(tensor.dataSync())).toEqual(Array.from(model.weights[i]!.read().dataSync()));
    });
    // Without the tfjs format there are no shards and model.json is the architecture alone.
    expect(await temp.store.list('out')).toEqual(['out/model.json', 'out/weights.safetensors']);
    const modelJson = JSON.parse(new TextDecoder().decode(await temp.store.get('out/model.json')));
    expect(modelJson.weightsManifest).toBeUndefined();
  });

  it('writes only tfjs shards when asked', async () => {
    await writeCheckpoint(temp.store, '', checkpointOf(convNet()), { format: ['tfjs'] });
    expect(await temp.store.list('')).toEqual(['group1-shard1of1.bin', 'model.json']);
  });

  it('writes a model without weights as a manifest with no shards', async () => {
    const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [2, 2] })] });
    await writeCheckpoint(temp.store, 'out', checkpointOf(model));
    expect(await temp.store.list('out')).toEqual(['out/model.json', 'out/weights.safetensors']);
    const reloaded = await loadWithTfjs(path.join(temp.root, 'out'));
    expect(outputOf(reloaded)).toEqual(outputOf(model));
  });

  it.each([
    [
      'an extra file outside the prefix',
      { extraFiles: [{ key: '../evil.html', data: new Uint8Array(1) }] },
      {},
    ],
    [
      'an extra file named model.json',
      { extraFiles: [{ key: './model.json', data: new Uint8Array(1) }] },
      {},
    ],
    ['a report that is not JSON', { report: () => 1 }, {}],
    ['a zero shard size', {}, { shardBytes: 0 }],
    ['no weight format', {}, { format: [] }],
    ['a shard folder outside the prefix', {}, { shardFolder: '../attempts/x' }],
    ['an absolute shard folder', {}, { shardFolder: '/attempts/x' }],
    ['a shard folder that is a URL', {}, { shardFolder: 's3://bucket/x' }],
  ])('refuses %s before writing anything', async (_, extra, options) => {
    const checkpoint = checkpointOf(convNet(), extra);
    await expect(writeCheckpoint(temp.store, 'out', checkpoint, options)).rejects.toMatchObject({
      code: 'checkpoint_invalid',
    });
    expect(await temp.store.list('')).toEqual([]);
  });

  it('refuses two weights with the same name', async () => {
    const checkpoint = checkpointOf(convNet());
    checkpoint.weights.push(checkpoint.weights[0]!);
    await expect(writeCheckpoint(temp.store, 'out', checkpoint)).rejects.toMatchObject({
      code: 'checkpoint_invalid',
      message: expect.stringContaining('appears twice'),
    });
  });

  describe('with a shard folder', () => {
    it('writes the weight files in the folder and model.json, report.json beside it', async () => {
      const model = convNet();
      const checkpoint = checkpointOf(model, { report: { ok: true } });
      const recording = new RecordingStore(temp.store);
      const { files } = await writeCheckpoint(recording, 'out', checkpoint, {
        shardBytes: 100,
        shardFolder: 'attempts/job-7-1/',
      });

      const shards = files.filter((file) => file.key.endsWith('.bin')).map((file) => file.key);
      expect(shards.length).toBeGreaterThan(2);
      expect(shards.every((key) => /^out\/attempts\/job-7-1\/group1-shard\d+of\d+\.bin$/.test(key))).toBe(
        true,
      );
      // The commit order is unchanged: weights, then model.json, then report.json.
      expect(recording.puts.slice(-3)).toEqual([
        'out/attempts/job-7-1/weights.safetensors',
        'out/model.json',
        'out/report.json',
      ]);
      const modelJson = JSON.parse(await readFile(path.join(temp.root, 'out/model.json'), 'utf8'));
      expect(modelJson.weightsManifest[0].paths).toEqual(shards.map((key) => key.slice('out/'.length)));

      expect(outputOf(await loadWithTfjs(path.join(temp.root, 'out')))).toEqual(outputOf(model));
      const byReadModel = await buildModel(await readModel(temp.store, 'out/model.json'));
      expect(outputOf(byReadModel)).toEqual(outputOf(model));
    });

    it.each([
      ['attempts/a', 'attempts/a/'],
      ['./attempts//a/', 'attempts/a/'],
      ['x/../attempts/a', 'attempts/a/'],
      ['.', ''],
      ['', ''],
    ])('normalizes the folder %j to %j', async (shardFolder, expected) => {
      await writeCheckpoint(temp.store, 'out', checkpointOf(convNet()), { shardFolder, format: ['tfjs'] });
      expect(await temp.store.list('out')).toEqual([`out/${expected}group1-shard1of1.bin`, 'out/model.json']);
    });

    it('keeps an earlier attempt intact; the last model.json names a complete set of its own', async () => {
      const first = convNet();
      const second = convNet();
      second.setWeights(second.weights.map((w) => tf.mul(w.read(), 2)));
      await writeCheckpoint(temp.store, 'out', checkpointOf(first), { shardFolder: 'attempts/j-1' });
      await writeCheckpoint(temp.store, 'out', checkpointOf(second), { shardFolder: 'attempts/j-2' });

      expect(await temp.store.list('out')).toEqual([
        'out/attempts/j-1/group1-shard1of1.bin',
        'out/attempts/j-1/weights.safetensors',
        'out/attempts/j-2/group1-shard1of1.bin',
        'out/attempts/j-2/weights.safetensors',
        'out/model.json',
      ]);
      const reloaded = await loadWithTfjs(path.join(temp.root, 'out'));
      expect(outputOf(reloaded)).toEqual(outputOf(second));
      expect(outputOf(reloaded)).not.toEqual(outputOf(first));
    });
  });
});
