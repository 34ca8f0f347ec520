import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { objectNotFound, pathOutsideRoot } from './errors.js';
import type { ObjectStore } from './object-store.js';

/** An `ObjectStore` over a local folder. Keys that resolve outside the folder (`..`, symlinks) are refused. */
export class FileStore implements ObjectStore {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  uri(key: string): string {
    return pathToFileURL(this.resolve(key)).href;
  }

  async get(key: string): Promise<Uint8Array> {
    const file = await this.resolveExisting(key);
    try {
      return await readFile(file);
    } catch (error) {
      if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'EISDIR')
        throw objectNotFound(this.uri(key));
      throw error;
    }
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const file = this.resolve(key);
    await mkdir(path.dirname(file), { recursive: true });
    // Write beside the target, then rename: a reader never sees a partly written file.
    const partial = `${file}.partial-${randomBytes(6).toString('hex')}`;
    try {
      await writeFile(partial, data);
      await rename(partial, file);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  }

  async list(prefix: string, options: { limit?: number } = {}): Promise<string[]> {
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    const start = this.resolve(prefix);
    const keys: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return;
        throw error;
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const entry of entries) {
        if (keys.length >= limit) return;
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (entry.isFile()) keys.push(path.relative(this.root, full).split(path.sep).join('/'));
      }
    };
    await walk(start);
    return keys;
  }

  async stat(key: string): Promise<{ bytes: number } | undefined> {
    try {
      const info = await stat(await this.resolveExisting(key));
      return info.isFile() ? { bytes: info.size } : undefined;
    } catch (error) {
      if (isMissing(error) || (error as { code?: string }).code === 'object_not_found') return undefined;
      throw error;
    }
  }

  /** The absolute path of a key, refusing keys that climb out of the root. */
  private resolve(key: string): string {
    const full = path.resolve(this.root, key);
    if (full !== this.root && !full.startsWith(this.root + path.sep)) throw pathOutsideRoot(key, this.root);
    return full;
  }

  /** Like `resolve`, and also refuses an existing path whose symlinks lead out of the root. */
  private async resolveExisting(key: string): Promise<string> {
    const full = this.resolve(key);
    let real: string;
    try {
      real = await realpath(full);
    } catch (error) {
      if (isMissing(error)) throw objectNotFound(this.uri(key));
      throw error;
    }
    const realRoot = await realpath(this.root).catch(() => this.root);
    if (real !== realRoot && !real.startsWith(realRoot + path.sep)) throw pathOutsideRoot(key, this.root);
    return real;
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}
