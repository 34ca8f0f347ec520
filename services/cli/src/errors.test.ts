/**
 * Bad inputs on the built CLI: each fails with one line on stderr naming the problem, a non-zero exit
 * status (2 for options, 1 otherwise), nothing on stdout and nothing written.
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  copyImages,
  IMAGES,
  listDir,
  MODEL,
  runCli,
  SMALL,
  type TempDir,
  tempDir,
  writeEditedModel,
} from './testing/cli.js';

let tmp: TempDir;

beforeAll(async () => {
  tmp = await tempDir();
});

afterAll(async () => {
  await tmp.cleanup();
});

interface Case {
  name: string;
  /** Builds the inputs under `dir`; returns the arguments after `init` (without --out). */
  setup: (dir: string) => Promise<string[]>;
  code: number;
  /** The error code in brackets, and further text the line must contain. */
  error: string;
  mentions: string[];
}

const cases: Case[] = [
  {
    name: 'missing model file',
    setup: async (dir) => ['--model', path.join(dir, 'nowhere/model.json'), '--data', IMAGES],
    code: 1,
    error: 'model_not_found',
    mentions: ['nowhere/model.json'],
  },
  {
    name: 'model.json that is not JSON',
    setup: async (dir) => {
      await writeFile(path.join(dir, 'model.json'), '{"format": "layers-model", "modelTopology": {');
      return ['--model', path.join(dir, 'model.json'), '--data', IMAGES];
    },
    code: 1,
    error: 'model_invalid_json',
    mentions: ['model.json'],
  },
  {
    name: 'a layer class ddinit does not know',
    setup: async (dir) => {
      await writeEditedModel(path.join(dir, 'model.json'), (json) => {
        const pool = json.modelTopology.config.layers.find((layer) => layer.class_name === 'MaxPooling2D')!;
        pool.class_name = 'FancyLayer';
      });
      return ['--model', path.join(dir, 'model.json'), '--data', IMAGES];
    },
    code: 1,
    error: 'unsupported_layer',
    mentions: ['FancyLayer', 'pool1'],
  },
  {
    name: 'a data folder without images',
    setup: async (dir) => {
      await mkdir(path.join(dir, 'data'));
      await writeFile(path.join(dir, 'data/notes.txt'), 'no pictures here\n');
      return ['--model', MODEL, '--data', path.join(dir, 'data')];
    },
    code: 1,
    error: 'data_empty',
    mentions: ['no .jpg'],
  },
  {
    name: 'a truncated JPEG among good images',
    setup: async (dir) => {
      const data = path.join(dir, 'data');
      await copyImages(data, 5);
      const jpeg = await readFile(path.join(IMAGES, 'img-0006.jpg'));
      await writeFile(path.join(data, 'img-0006.jpg'), jpeg.subarray(0, Math.floor(jpeg.length / 3)));
      // 4 + 2 draws every one of the 6 images.
      return ['--model', MODEL, '--data', data, '--sample', '4', '--held-out', '2', '--batch-size', '2'];
    },
    code: 1,
    error: 'image_corrupt',
    mentions: ['img-0006.jpg'],
  },
  {
    name: '--alpha -1',
    setup: async () => ['--model', MODEL, '--data', IMAGES, '--alpha', '-1'],
    code: 2,
    error: 'options_invalid',
    mentions: ['alpha'],
  },
  {
    name: '--random foo',
    setup: async () => ['--model', MODEL, '--data', IMAGES, '--random', 'foo'],
    code: 2,
    error: 'usage',
    mentions: ['--random', "'foo'", 'gaussian'],
  },
  {
    name: 'a number option that is not a number',
    setup: async () => ['--model', MODEL, '--data', IMAGES, '--sample', 'many'],
    code: 2,
    error: 'usage',
    mentions: ['--sample', "'many'"],
  },
];

describe('ddinit init refuses bad input and writes nothing', () => {
  test.each(cases)('$name', async ({ name, setup, code, error, mentions }) => {
    const dir = path.join(tmp.root, name.replace(/\W+/g, '-'));
    await mkdir(dir);
    const args = await setup(dir);
    // The output's parent does not exist either: neither may be left behind.
    const out = path.join(dir, 'out/checkpoint');
    const result = await runCli([
      'init',
      ...args,
      '--out',
      out,
      ...SMALL.slice(args.includes('--sample') ? 6 : 0),
      '--quiet',
    ]);
    expect(result.code).toBe(code);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(new RegExp(`^ddinit: error \\[${error}\\]: [^\\n]+\\n$`));
    for (const text of mentions) expect(result.stderr).toContain(text);
    expect(await listDir(path.join(dir, 'out'))).toBeUndefined();
  });

  test('an output that already holds a checkpoint, without --overwrite', async () => {
    const out = path.join(tmp.root, 'existing');
    await mkdir(out);
    await copyFile(MODEL, path.join(out, 'model.json'));
    const before = await readFile(path.join(out, 'model.json'));
    const result = await runCli(['init', '--model', MODEL, '--data', IMAGES, '--out', out, ...SMALL]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const errors = result.stderr.split('\n').filter((line) => line.includes('error'));
    expect(errors).toEqual([
      expect.stringMatching(/^ddinit: error \[output_exists\]: .*model\.json .*overwrit/),
    ]);
    expect(await listDir(out)).toEqual(['model.json']);
    expect((await readFile(path.join(out, 'model.json'))).equals(before)).toBe(true);
  });

  test('a missing required option, and a missing command', async () => {
    const noOut = await runCli(['init', '--model', MODEL, '--data', IMAGES]);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toMatch(/^ddinit: error \[usage\]: required option '--out <dir>' not specified\n$/);
    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^ddinit: error \[usage\]: [^\n]*--help[^\n]*\n$/);
  });
});
