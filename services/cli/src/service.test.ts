/**
 * The whole service path through the built CLI: `ddinit serve` (API and worker in one process, real
 * Redis) and the client commands `submit`, `wait`, `status`, `cancel` against it, on local files.
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { deleteKeys } from '../../api/src/testing/harness.js';
import { copyImages, MODEL, runCli, type Serving, startServe, type TempDir, tempDir } from './testing/cli.js';

const KEY = 'test-key-0123456789abcdef';
const PREFIX = `ddinit-cli-test-${process.pid}-${Date.now()}`;
let tmp: TempDir;
let server: Serving;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  tmp = await tempDir();
  await mkdir(path.join(tmp.root, 'model'));
  await copyFile(MODEL, path.join(tmp.root, 'model/model.json'));
  await copyImages(path.join(tmp.root, 'images'), 24);
  const serveEnv = {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    REDIS_URL: 'redis://127.0.0.1:6379',
    DDINIT_QUEUE_PREFIX: PREFIX,
    DDINIT_API_KEYS: `${KEY}:tenant-a`,
    DDINIT_FILE_ROOT: tmp.root,
    DDINIT_BACKEND: 'wasm',
    LOG_LEVEL: 'warn',
  };
  server = await startServe(serveEnv);
  env = { DDINIT_API_URL: server.url, DDINIT_API_KEY: KEY };
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await deleteKeys(PREFIX);
  await tmp.cleanup();
});

test('a job submitted through the API is run by the worker and its checkpoint is written', async () => {
  const spec = {
    model: { uri: `file://${tmp.root}/model/model.json` },
    dataset: { uri: `file://${tmp.root}/images`, sample: 16, heldOut: 8 },
    init: { batchSize: 8 },
    output: { uri: `file://${tmp.root}/out` },
  };
  await writeFile(path.join(tmp.root, 'spec.json'), JSON.stringify(spec));
  const submitted = await runCli(['submit', '--spec', path.join(tmp.root, 'spec.json'), '--json'], env);
  expect(submitted.code).toBe(0);
  const { id, status } = JSON.parse(submitted.stdout);
  expect(status).toBe('queued');

  const waited = await runCli(['wait', id, '--json', '--timeout', '50'], env);
  expect(waited.stderr).not.toMatch(/error/);
  expect(waited.code).toBe(0);
  const job = JSON.parse(waited.stdout);
  expect(job.status).toBe('succeeded');
  expect(job.result.checkpoint).toBe(`file://${tmp.root}/out/model.json`);
  const written = JSON.parse(await readFile(path.join(tmp.root, 'out/model.json'), 'utf8'));
  expect(written.weightsManifest[0].paths[0]).toMatch(/^attempts\/.+\/group1-shard1of1\.bin$/);

  const shown = await runCli(['status', id], env);
  expect(shown.stdout).toBe(`${id} succeeded ${job.progress.phase} 100% → ${job.result.checkpoint}\n`);
}, 90_000);

test('client errors carry the API problem code and name the bad fields', async () => {
  const missing = await runCli(['status', 'no-such-job'], env);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toMatch(/^ddinit: error \[job_not_found\]/);

  const bad = await runCli(
    ['submit', '--model', 'http://example.com/m.json', '--data', 'file:///x', '--out', 'file:///y'],
    env,
  );
  expect(bad.code).toBe(1);
  expect(bad.stderr).toMatch(/model\.uri/);

  const noKey = await runCli(['status', 'x'], { ...env, DDINIT_API_KEY: '' });
  expect(noKey.stderr).toMatch(/\[api_key_missing\]/);
}, 60_000);
