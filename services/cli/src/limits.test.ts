/** `ddinit init` reads the same `DDINIT_MAX_*` limits as the worker: a bad one is a bad option, a low one fails the run. */
import path from 'node:path';
import { IMAGES, listDir, MODEL, runCli, SMALL, type TempDir, tempDir } from './testing/cli.js';

let tmp: TempDir;
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(() => tmp.cleanup());

const init = (out: string) => [
  'init',
  '--model',
  MODEL,
  '--data',
  IMAGES,
  '--out',
  path.join(tmp.root, out),
  ...SMALL,
];

describe('ddinit init limits', () => {
  test('refuses a bad $DDINIT_MAX_* as a bad option, naming the variable and its value', async () => {
    const result = await runCli(init('bad'), { DDINIT_MAX_SAMPLE_IMAGES: '0' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('DDINIT_MAX_SAMPLE_IMAGES ("0"): must be at least 1');
    expect(await listDir(path.join(tmp.root, 'bad'))).toBeUndefined();
  });

  test('fails with model_too_large under a low $DDINIT_MAX_PARAMETERS, writing nothing', async () => {
    const result = await runCli(init('small'), { DDINIT_MAX_PARAMETERS: '1000' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/model_too_large/);
    expect(result.stderr).toMatch(/over the limit of 1000 parameters \(maxParameters\)/);
    expect(await listDir(path.join(tmp.root, 'small'))).toBeUndefined();
  });

  test('fails with sample_too_large under a low $DDINIT_MAX_SAMPLE_IMAGES', async () => {
    const result = await runCli(init('few'), { DDINIT_MAX_SAMPLE_IMAGES: '23' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'the job asks for 24 samples (sample 16 + held-out 8), over the limit of 23',
    );
  });
});
