/** `OutputDir`: what a failed run leaves of the --out folder. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { OutputDir } from './output-dir.js';
import { listDir, type TempDir, tempDir } from './testing/cli.js';

let tmp: TempDir;

beforeEach(async () => {
  tmp = await tempDir();
});

afterEach(async () => {
  await tmp.cleanup();
});

describe('OutputDir', () => {
  test('removes the folders the run created, up to the first that existed', async () => {
    const output = await OutputDir.inspect(path.join(tmp.root, 'new/deeper/out'));
    expect(output.existed).toBe(false);
    expect(output.dir).toBe(path.join(tmp.root, 'new/deeper/out'));
    await mkdir(output.dir, { recursive: true });
    await output.cleanUp();
    expect(await listDir(tmp.root)).toEqual([]);
  });

  test('keeps a created folder that is not empty, and every folder above it', async () => {
    const output = await OutputDir.inspect(path.join(tmp.root, 'new/out'));
    await mkdir(output.dir, { recursive: true });
    await writeFile(path.join(output.dir, 'group1-shard1of1.bin'), 'x');
    await output.cleanUp();
    expect(await listDir(output.dir)).toEqual(['group1-shard1of1.bin']);
  });

  test('leaves a folder that existed before alone, even empty', async () => {
    const output = await OutputDir.inspect(tmp.root);
    expect(output.existed).toBe(true);
    await output.cleanUp();
    expect(await listDir(tmp.root)).toEqual([]);
  });

  test('cleans up nothing when the run failed before creating the folder', async () => {
    const output = await OutputDir.inspect(path.join(tmp.root, 'never'));
    await expect(output.cleanUp()).resolves.toBeUndefined();
    expect(await listDir(tmp.root)).toEqual([]);
  });

  test('refuses a path through a file', async () => {
    await writeFile(path.join(tmp.root, 'file'), 'x');
    await expect(OutputDir.inspect(path.join(tmp.root, 'file/out'))).rejects.toMatchObject({
      code: 'output_not_folder',
    });
    await expect(OutputDir.inspect(path.join(tmp.root, 'file'))).rejects.toMatchObject({
      code: 'output_not_folder',
    });
  });
});
