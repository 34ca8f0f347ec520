/** `ddinit init` end to end on the built CLI: the checkpoint, the JSON and text outputs, determinism, --overwrite. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InitReport } from '@ddinit/contracts';
import { decodeSafetensors } from '@ddinit/storage';
import * as tf from '@tensorflow/tfjs';
import {
  type CliResult,
  IMAGES,
  listDir,
  MODEL,
  type ModelJson,
  runCli,
  SMALL,
  type TempDir,
  tempDir,
} from './testing/cli.js';

const CHECKPOINT = [
  'group1-shard1of1.bin',
  'model.json',
  'report.html',
  'report.json',
  'weights.safetensors',
];

let tmp: TempDir;
let first: CliResult;
let firstShard: Buffer;
const outA = () => path.join(tmp.root, 'a');
const outB = () => path.join(tmp.root, 'b');

beforeAll(async () => {
  tmp = await tempDir();
  first = await runCli(['init', '--model', MODEL, '--data', IMAGES, '--out', outA(), ...SMALL, '--json']);
  firstShard = await readFile(path.join(outA(), 'group1-shard1of1.bin'));
});

afterAll(async () => {
  await tmp.cleanup();
});

describe('ddinit init', () => {
  test('--json prints exactly the report and the written files, which are in --out', async () => {
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const parsed = JSON.parse(first.stdout) as {
      report: unknown;
      files: { key: string; bytes: number; sha256: string }[];
    };
    expect(Object.keys(parsed).sort()).toEqual(['files', 'report']);
    const report = InitReport.parse(parsed.report);
    expect(report.images).toEqual({ init: 16, heldOut: 8 });
    expect(report.backend.name).toBe('wasm');
    expect(report.options).toMatchObject({ sample: 16, heldOut: 8, batchSize: 8, seed: 0 });
    expect(report.layers.map((layer) => layer.name)).toEqual([
      'conv1_1',
      'conv1_2',
      'conv2_1',
      'conv2_2',
      'conv3_1',
      'fc1',
      'fc2',
    ]);

    expect(await listDir(outA())).toEqual(CHECKPOINT);
    expect(parsed.files.map((file) => file.key).sort()).toEqual(CHECKPOINT);
    for (const file of parsed.files) {
      const bytes = await readFile(path.join(outA(), file.key));
      expect(bytes.length).toBe(file.bytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);
    }
    const written = InitReport.parse(JSON.parse(await readFile(path.join(outA(), 'report.json'), 'utf8')));
    expect(written.layers).toEqual(report.layers);
  });

  test('the checkpoint loads in tfjs, with the weights of weights.safetensors', async () => {
    tf.env().set('IS_TEST', true);
    await tf.setBackend('cpu');
    const json = JSON.parse(await readFile(path.join(outA(), 'model.json'), 'utf8')) as ModelJson & {
      weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
    };
    const shards = await Promise.all(
      json.weightsManifest.flatMap((group) => group.paths).map((name) => readFile(path.join(outA(), name))),
    );
    const weightData = new Uint8Array(Buffer.concat(shards)).buffer;
    const model = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
        weightData,
      }),
    );
    const safetensors = decodeSafetensors(await readFile(path.join(outA(), 'weights.safetensors')));
    try {
      const output = model.predict(tf.randomUniform([2, 32, 32, 3])) as tf.Tensor;
      expect(output.shape).toEqual([2, 10]);
      expect([...(await output.data())].every(Number.isFinite)).toBe(true);
      output.dispose();
      const byName = new Map(safetensors.weights.map((w) => [w.name, w.tensor]));
      expect(byName.size).toBe(model.weights.length);
      for (const weight of model.weights) {
        const stored = byName.get(weight.originalName);
        expect(stored).toBeDefined();
        const [a, b] = [await stored!.data(), await weight.read().data()];
        // Buffer.equals: jest's deep equality walks megabytes element by element.
        expect(
          Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
            Buffer.from(b.buffer, b.byteOffset, b.byteLength),
          ),
        ).toBe(true);
      }
    } finally {
      model.dispose();
      for (const { tensor } of safetensors.weights) tensor.dispose();
    }
  });

  test('prints a summary table and a progress line per phase; the same seed gives identical weights', async () => {
    const page = path.join(tmp.root, 'report-copy.html');
    const second = await runCli([
      'init',
      '--model',
      MODEL,
      '--data',
      IMAGES,
      '--out',
      outB(),
      ...SMALL,
      '--html',
      page,
    ]);
    expect(second.code).toBe(0);
    // --html copies the self-contained report page out of the checkpoint.
    const html = await readFile(page, 'utf8');
    expect(html).toBe(await readFile(path.join(outB(), 'report.html'), 'utf8'));
    expect(html).toContain('data-layer="conv1_1"');
    const lines = second.stdout.split('\n');
    expect(lines[0]).toBe('ddinit 0.1.0: initialized 7 of 7 affine layers');
    expect(second.stdout).toMatch(/^backend +wasm \(\d+ threads?\)$/m);
    expect(second.stdout).toMatch(/^images +16 init, 8 held out$/m);
    expect(second.stdout).toMatch(/^seed +0$/m);
    expect(second.stdout).toMatch(/^time \(ms\) +load \d+, data \d+, .*save \d+; total \d+$/m);
    expect(second.stdout).toMatch(/^change-rate spread +\S+ → \S+/m);
    const header = lines.find((line) => line.startsWith('layer '))!;
    for (const column of [
      'class',
      'filters',
      'random',
      'std before → after',
      'mean after',
      'change rate',
      'scale r',
    ])
      expect(header).toContain(column);
    // Every row starts its cells where the header starts its columns.
    const rows = lines.filter((line) => /^(conv\d_\d|fc\d) /.test(line));
    expect(rows).toHaveLength(7);
    const classAt = header.indexOf('class');
    for (const row of rows) expect(row.slice(classAt)).toMatch(/^(Conv2D|Dense) /);
    expect(rows[0]).toMatch(/^conv1_1 +Conv2D +32 +gaussian +\S+ → \S+ +\S+ +\S+e[+-]\d → \S+e[+-]\d +\S+$/);
    expect(rows[6]).toMatch(/^fc2 +Dense +10 /);
    expect(second.stdout).toContain('warnings');
    expect(second.stdout).toContain(`wrote 5 files to ${outB()}:`);
    expect(second.stdout).toContain(`file://${outB()}/model.json`);

    const phases = second.stderr
      .trim()
      .split('\n')
      .map((line) => /^ddinit: \[ *[\d.]+s +\d+%\] (\w+) /.exec(line)?.[1]);
    expect(phases).toEqual(['load', 'data', 'prepare', 'within', 'between', 'report', 'save']);

    for (const name of ['group1-shard1of1.bin', 'weights.safetensors']) {
      const [a, b] = await Promise.all([
        readFile(path.join(outA(), name)),
        readFile(path.join(outB(), name)),
      ]);
      expect(a.equals(b)).toBe(true);
    }
  });

  test('--overwrite replaces a checkpoint; another seed gives other weights', async () => {
    const again = await runCli([
      'init',
      ...['--model', MODEL, '--data', IMAGES, '--out', outA(), ...SMALL],
      ...['--seed', '1', '--overwrite', '--quiet'],
    ]);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(await listDir(outA())).toEqual(CHECKPOINT);
    const shard = await readFile(path.join(outA(), 'group1-shard1of1.bin'));
    expect(shard.length).toBe(firstShard.length);
    expect(shard.equals(firstShard)).toBe(false);
  });
});
