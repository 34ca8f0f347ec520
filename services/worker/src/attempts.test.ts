import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileStore } from '@ddinit/storage';
import { attemptFolder, committedByJob, removeAbandonedAttempts } from './attempts.js';

let root: string;
let store: FileStore;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'ddinit-attempts-'));
  store = new FileStore(root);
});
afterEach(() => rm(root, { recursive: true, force: true }));

const modelJson = (...paths: string[]) =>
  new TextEncoder().encode(
    JSON.stringify({ format: 'layers-model', weightsManifest: [{ paths, weights: [] }] }),
  );

describe('attemptFolder', () => {
  it('names a folder per job and attempt, keeping odd job ids in one folder', () => {
    expect(attemptFolder('42', 1)).toBe('attempts/42-1/');
    expect(attemptFolder('tenant/key', 3)).toBe('attempts/tenant%2Fkey-3/');
  });
});

describe('committedByJob', () => {
  it('is false when there is no model.json', async () => {
    expect(await committedByJob(store, 'out/model.json', '42')).toBe(false);
  });

  it('is true when every weight path lies in an attempt folder of the job', async () => {
    await store.put(
      'out/model.json',
      modelJson('attempts/42-1/group1-shard1of2.bin', 'attempts/42-1/group1-shard2of2.bin'),
    );
    expect(await committedByJob(store, 'out/model.json', '42')).toBe(true);
  });

  it.each([
    ['another job', ['attempts/43-1/group1-shard1of1.bin']],
    ['a job whose id extends this one', ['attempts/42-7-1/group1-shard1of1.bin']],
    ['shards beside model.json', ['group1-shard1of1.bin']],
    ['a mix', ['attempts/42-1/group1-shard1of2.bin', 'group1-shard2of2.bin']],
    ['no shards at all', []],
  ])('is false for a model.json of %s', async (_, paths) => {
    await store.put('out/model.json', modelJson(...paths));
    expect(await committedByJob(store, 'out/model.json', '42')).toBe(false);
  });

  it('is false for a model.json that is not JSON', async () => {
    await store.put('out/model.json', new TextEncoder().encode('{oops'));
    expect(await committedByJob(store, 'out/model.json', '42')).toBe(false);
  });
});

describe('removeAbandonedAttempts', () => {
  it("deletes the job's other attempt folders only, keeping the committed attempt and other jobs' files", async () => {
    const bytes = new TextEncoder().encode('x');
    const keys = [
      'out/attempts/42-1/group1-shard1of1.bin',
      'out/attempts/42-1/weights.safetensors',
      'out/attempts/42-3/group1-shard1of1.bin',
      'out/attempts/42-7-1/group1-shard1of1.bin',
      'out/attempts/43-1/group1-shard1of1.bin',
      'out/model.json',
      'elsewhere/attempts/42-1/group1-shard1of1.bin',
    ];
    for (const key of keys) await store.put(key, bytes);
    expect(await removeAbandonedAttempts(store, 'out/', '42', 3)).toEqual([
      'out/attempts/42-1/group1-shard1of1.bin',
      'out/attempts/42-1/weights.safetensors',
    ]);
    expect(await store.list('')).toEqual([
      'elsewhere/attempts/42-1/group1-shard1of1.bin',
      'out/attempts/42-3/group1-shard1of1.bin',
      'out/attempts/42-7-1/group1-shard1of1.bin',
      'out/attempts/43-1/group1-shard1of1.bin',
      'out/model.json',
    ]);
  });
});
