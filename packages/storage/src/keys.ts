/**
 * Object keys are `/`-separated paths relative to a store's root, on every store (files, S3). These
 * helpers keep the rules for joining and resolving keys in one place.
 */

/** The folder of a key, ending in `/`, or `''` for a key at the root. */
export function keyFolder(key: string): string {
  return key.slice(0, key.lastIndexOf('/') + 1);
}

/** `prefix` as a folder: `''` stays `''`, anything else ends in exactly one `/`. */
export function asFolder(prefix: string): string {
  const trimmed = prefix.replace(/\/+$/, '');
  return trimmed === '' ? '' : `${trimmed}/`;
}

/** The result of resolving a relative path: the key, or why it was refused. */
export type Resolved = { key: string } | { problem: string };

/**
 * Resolves a relative path (a manifest's shard path, an extra file's name) inside `folder`. Paths may
 * use `.` and `..` as long as they stay inside the folder: a model.json must not pull files from
 * elsewhere in the store, and a checkpoint must not write outside its prefix.
 */
export function resolveInside(folder: string, relative: string): Resolved {
  if (relative === '') return { problem: 'is empty' };
  if (relative.startsWith('/')) return { problem: 'is an absolute path' };
  if (/^[a-z][a-z\d+.-]*:/i.test(relative)) return { problem: 'is a URL, not a relative path' };
  // A backslash is a separator on Windows: `..\x` would escape there even though it looks harmless here.
  if (relative.includes('\\')) return { problem: 'contains a backslash' };
  const parts: string[] = [];
  for (const part of relative.split('/')) {
    if (part === '' || part === '.') continue;
    if (part !== '..') parts.push(part);
    else if (parts.pop() === undefined) return { problem: 'climbs out of its folder' };
  }
  if (parts.length === 0) return { problem: 'names a folder, not a file' };
  return { key: folder + parts.join('/') };
}
