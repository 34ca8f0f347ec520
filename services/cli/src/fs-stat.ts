import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';

/** `stat`, or `undefined` where nothing is (also below a file). */
export async function statOrUndefined(file: string): Promise<Stats | undefined> {
  try {
    return await stat(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}
