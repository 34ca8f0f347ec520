import { randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { mkdir, readdir, readFile, realpath, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
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
    // A symlinked folder inside the root must not carry the write out of it.
    await this.checkReal(await plannedRealPath(path.dirname(file)), key);
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

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      const file = this.resolve(key);
      await this.checkReal(await plannedRealPath(path.dirname(file)), key);
      await rm(file, { force: true });
      await removeEmptyFolders(path.dirname(file), this.root);
    }
  }

  async list(prefix: string, options: { limit?: number } = {}): Promise<string[]> {
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    const start = this.resolve(prefix);
    // Refuse a prefix that is a symlink out of the root: listing would reveal names outside it.
    await this.checkReal(await plannedRealPath(start), prefix);
    const keys: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return;
        throw error;
      }
      // Sort as the keys will read (`a/` for a folder) in UTF-8 byte order, as S3 lists them:
      // `a-b` comes before everything under `a/`.
      const sortKey = (entry: Dirent) => Buffer.from(entry.isDirectory() ? `${entry.name}/` : entry.name);
      entries.sort((a, b) => Buffer.compare(sortKey(a), sortKey(b)));
      for (const entry of entries) {
        if (keys.length >= limit) return;
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (entry.isFile() && !PARTIAL.test(entry.name)) {
          keys.push(path.relative(this.root, full).split(path.sep).join('/'));
        }
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
    if (!isInside(full, this.root)) throw pathOutsideRoot(key, this.root);
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
    await this.checkReal(real, key);
    return real;
  }

  /** Refuses a real (symlink-free) path outside the root. */
  private async checkReal(real: string, key: string): Promise<void> {
    const realRoot = await plannedRealPath(this.root);
    if (!isInside(real, realRoot)) throw pathOutsideRoot(key, this.root);
  }
}

/** `put` writes beside the target under this suffix, then renames; such files are not objects yet. */
const PARTIAL = /\.partial-[\da-f]{12}$/;

/** The real path `file` has, or will have once created: symlinks resolved in the part that exists. */
async function plannedRealPath(file: string): Promise<string> {
  const missing: string[] = [];
  for (let dir = file; ; dir = path.dirname(dir)) {
    try {
      return path.join(await realpath(dir), ...missing.reverse());
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
      if (path.dirname(dir) === dir) return file;
      missing.push(path.basename(dir));
    }
  }
}

/**
 * Removes `dir` and then its parents, below `root`, while they are empty: folders exist here only to
 * hold objects, and S3 shows none once their last object is gone.
 */
async function removeEmptyFolders(dir: string, root: string): Promise<void> {
  for (let folder = dir; folder !== root && isInside(folder, root); folder = path.dirname(folder)) {
    try {
      await rmdir(folder);
    } catch {
      return;
    }
  }
}

/** Whether absolute path `file` is `root` or below it. */
function isInside(file: string, root: string): boolean {
  return file === root || file.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}
