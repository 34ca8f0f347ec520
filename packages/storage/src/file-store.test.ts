import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileStore } from './file-store.js';

let base: string;
let root: string;
let outside: string;
let store: FileStore;
const bytes = (text: string) => new TextEncoder().encode(text);

beforeEach(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'ddinit-file-store-'));
  root = path.join(base, 'root');
  outside = path.join(base, 'outside');
  await mkdir(root);
  await mkdir(outside);
  await writeFile(path.join(outside, 'secret.txt'), 'secret');
  store = new FileStore(root);
});
afterEach(() => rm(base, { recursive: true, force: true }));

describe('FileStore', () => {
  it('puts, gets and stats objects, creating folders', async () => {
    await store.put('a/b/c.bin', bytes('hello'));
    expect(new TextDecoder().decode(await store.get('a/b/c.bin'))).toBe('hello');
    expect(await store.stat('a/b/c.bin')).toEqual({ bytes: 5 });
    expect(await store.stat('a/b')).toBeUndefined();
    expect(await store.stat('nope')).toBeUndefined();
    expect(store.uri('a/b/c.bin')).toBe(`file://${root}/a/b/c.bin`);
    expect(await readdir(path.join(root, 'a/b'))).toEqual(['c.bin']);
  });

  it('replaces an object whole', async () => {
    await store.put('x', bytes('first version'));
    await store.put('x', bytes('second'));
    expect(await readFile(path.join(root, 'x'), 'utf8')).toBe('second');
  });

  it('throws object_not_found for a missing object or a folder', async () => {
    await store.put('dir/file', bytes('x'));
    await expect(store.get('missing')).rejects.toMatchObject({
      code: 'object_not_found',
      message: `no such file: file://${root}/missing`,
    });
    await expect(store.get('dir')).rejects.toMatchObject({ code: 'object_not_found' });
  });

  it.each(['../outside/secret.txt', 'a/../../outside/secret.txt', path.join(tmpdir(), 'elsewhere.txt')])(
    'refuses the key %s, which leaves the root',
    async (key) => {
      const refused = { code: 'path_outside_root' };
      await expect(store.get(key)).rejects.toMatchObject(refused);
      await expect(store.put(key, bytes('x'))).rejects.toMatchObject(refused);
      await expect(store.list(key)).rejects.toMatchObject(refused);
      expect(() => store.uri(key)).toThrow(expect.objectContaining(refused));
      expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('secret');
    },
  );

  it('refuses to read through a symlinked file that leads out of the root', async () => {
    await symlink(path.join(outside, 'secret.txt'), path.join(root, 'link.txt'));
    await expect(store.get('link.txt')).rejects.toMatchObject({ code: 'path_outside_root' });
    await expect(store.stat('link.txt')).rejects.toMatchObject({ code: 'path_outside_root' });
  });

  it('refuses to read, write or list through a symlinked folder that leads out of the root', async () => {
    await symlink(outside, path.join(root, 'out'));
    await expect(store.get('out/secret.txt')).rejects.toMatchObject({ code: 'path_outside_root' });
    await expect(store.put('out/new.txt', bytes('x'))).rejects.toMatchObject({ code: 'path_outside_root' });
    await expect(store.put('out/deeper/new.txt', bytes('x'))).rejects.toMatchObject({
      code: 'path_outside_root',
    });
    await expect(store.list('out')).rejects.toMatchObject({ code: 'path_outside_root' });
    expect(await readdir(outside)).toEqual(['secret.txt']);
    // Listing the root skips the link rather than following it.
    expect(await store.list('')).toEqual([]);
  });

  it('follows symlinks that stay inside the root', async () => {
    await store.put('real/file.txt', bytes('inside'));
    await symlink(path.join(root, 'real'), path.join(root, 'alias'));
    expect(new TextDecoder().decode(await store.get('alias/file.txt'))).toBe('inside');
    await store.put('alias/new.txt', bytes('x'));
    expect(await store.stat('real/new.txt')).toEqual({ bytes: 1 });
  });

  it('works under a root that does not exist yet and is reached through a symlink', async () => {
    await symlink(outside, path.join(base, 'via'));
    const nested = new FileStore(path.join(base, 'via/new/root'));
    await nested.put('a/b.txt', bytes('x'));
    expect(await readFile(path.join(outside, 'new/root/a/b.txt'), 'utf8')).toBe('x');
    expect(await nested.list('')).toEqual(['a/b.txt']);
  });

  it('lists keys recursively in byte order, as S3 does', async () => {
    for (const key of ['b', 'a/z', 'a-b', 'a/b/c', 'a/b.txt', 'A', 'é', 'a/b/a'])
      await store.put(key, bytes(key));
    expect(await store.list('')).toEqual(['A', 'a-b', 'a/b.txt', 'a/b/a', 'a/b/c', 'a/z', 'b', 'é']);
    expect(await store.list('a')).toEqual(['a/b.txt', 'a/b/a', 'a/b/c', 'a/z']);
    expect(await store.list('a/b')).toEqual(['a/b/a', 'a/b/c']);
  });

  it('stops listing at the limit', async () => {
    for (const key of ['c', 'a/1', 'a/2', 'b']) await store.put(key, bytes(key));
    expect(await store.list('', { limit: 3 })).toEqual(['a/1', 'a/2', 'b']);
    expect(await store.list('', { limit: 1 })).toEqual(['a/1']);
    expect(await store.list('', { limit: 0 })).toEqual([]);
  });

  it('lists nothing under a missing prefix or a file', async () => {
    await store.put('file', bytes('x'));
    expect(await store.list('missing')).toEqual([]);
    expect(await store.list('file')).toEqual([]);
  });

  it('does not list a write in progress', async () => {
    await store.put('done', bytes('x'));
    await writeFile(path.join(root, 'done.partial-0123456789ab'), 'half');
    expect(await store.list('')).toEqual(['done']);
  });
});
