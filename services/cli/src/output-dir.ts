/**
 * The `--out` folder. The checkpoint writer creates it (and any missing parents) only when it writes;
 * should the run fail after that, `cleanUp` removes again the folders this run created, if empty.
 */
import { rmdir } from 'node:fs/promises';
import path from 'node:path';
import { outputNotFolder } from './errors.js';
import { statOrUndefined } from './fs-stat.js';

export class OutputDir {
  private constructor(
    /** Absolute path of the folder. */
    readonly dir: string,
    /** The outermost folder of `dir`'s path that did not exist before the run, if any. */
    private readonly firstMissing: string | undefined,
  ) {}

  /** Looks at `--out` (without creating it): it, or its first existing parent, must be a folder. */
  static async inspect(outPath: string): Promise<OutputDir> {
    const dir = path.resolve(outPath);
    let firstMissing: string | undefined;
    for (let current = dir; ; current = path.dirname(current)) {
      const info = await statOrUndefined(current);
      if (info) {
        if (!info.isDirectory()) throw outputNotFolder(current);
        break;
      }
      firstMissing = current;
      if (path.dirname(current) === current) break;
    }
    return new OutputDir(dir, firstMissing);
  }

  get existed(): boolean {
    return this.firstMissing === undefined;
  }

  /** Removes the folders this run created, innermost first, stopping at the first that is not empty. */
  async cleanUp(): Promise<void> {
    if (this.firstMissing === undefined) return;
    for (let current = this.dir; ; current = path.dirname(current)) {
      try {
        await rmdir(current);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return;
      }
      if (current === this.firstMissing || path.dirname(current) === current) return;
    }
  }
}
