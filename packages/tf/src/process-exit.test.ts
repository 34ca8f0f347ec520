import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_WASM_THREADS } from './index.js';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = path.resolve(packageDir, '../..');

/**
 * A child that loads wasm (`selectBackend`, or `loadWasmBackend` with THREADS), takes a conv
 * gradient and then simply ends: no exit(), no dispose. It prints the BackendInfo.
 */
const CHILD = `
import * as tf from '@tensorflow/tfjs';
import { loadWasmBackend, selectBackend } from './dist/index.js';
const threads = process.env.THREADS;
const info = threads === undefined ? await selectBackend('wasm') : await loadWasmBackend({ threads: Number(threads) });
const x = tf.randomNormal([2, 8, 8, 3]);
const w = tf.variable(tf.randomNormal([3, 3, 3, 4]));
const { grads } = tf.variableGrads(() => tf.conv2d(x, w, 1, 'same').square().sum());
await grads[w.name].data();
console.log(JSON.stringify(info));
`;

function runChild(env: Record<string, string> = {}) {
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD], {
    cwd: packageDir,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  // A hung child is killed by the timeout and shows up here as status null, signal SIGTERM.
  expect({
    status: child.status,
    signal: child.signal,
    stderr: child.status === 0 ? '' : child.stderr,
  }).toEqual({
    status: 0,
    signal: null,
    stderr: '',
  });
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!);
}

/** True when dist is missing or older than a source file the children would run. */
function distIsStale(): boolean {
  const buildInfo = path.join(packageDir, 'dist/.tsbuildinfo');
  if (!fs.existsSync(buildInfo) || !fs.existsSync(path.join(packageDir, 'dist/index.js'))) return true;
  const builtAt = fs.statSync(buildInfo).mtimeMs;
  const sources = fs.readdirSync(path.join(packageDir, 'src'), { recursive: true, encoding: 'utf8' });
  return sources.some(
    (file) =>
      file.endsWith('.ts') &&
      !file.endsWith('.test.ts') &&
      fs.statSync(path.join(packageDir, 'src', file)).mtimeMs > builtAt,
  );
}

beforeAll(() => {
  // The children run the built package (`npm test` builds first); build it when it is stale.
  if (distIsStale()) {
    execFileSync(process.execPath, [
      path.join(repoRoot, 'node_modules/typescript/bin/tsc'),
      '-b',
      packageDir,
    ]);
  }
});

test('a process that used the threaded wasm backend exits on its own', () => {
  const info = runChild();
  expect(info).toEqual({
    name: 'wasm',
    threads: Math.min(os.availableParallelism(), MAX_WASM_THREADS),
    detail: 'threaded SIMD build',
  });
});

test('threads: 1 runs the stock single-threaded build', () => {
  expect(runChild({ THREADS: '1' })).toEqual({
    name: 'wasm',
    threads: 1,
    detail: 'stock SIMD build, single-threaded',
  });
});

test('when the threaded build cannot start, the stock build takes over', () => {
  // The worker script is written to the temp dir; one that does not exist makes the threaded start throw.
  const info = runChild({ TMPDIR: path.join(os.tmpdir(), 'ddinit-missing', String(process.pid)) });
  expect(info.name).toBe('wasm');
  expect(info.threads).toBe(1);
  expect(info.detail).toMatch(/^stock SIMD build; the threaded build failed: .*ENOENT/);
});
