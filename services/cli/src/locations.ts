/**
 * Where `--model`, `--data` and `--out` point, as object stores. Each store is rooted as tightly as the
 * path allows (the model's folder, the data folder), so a manifest or key cannot reach beyond it.
 * Only looks (stat); never writes.
 */
import path from 'node:path';
import { FileStore, type ObjectStore } from '@ddinit/storage';
import { statOrUndefined } from './fs-stat.js';

export interface ModelLocation {
  store: ObjectStore;
  key: string;
}

export interface DataLocation {
  store: ObjectStore;
  prefix: string;
}

/** `model.json` (or another name) in its folder; a folder means the `model.json` inside it. */
export async function locateModel(modelPath: string): Promise<ModelLocation> {
  const resolved = path.resolve(modelPath);
  if ((await statOrUndefined(resolved))?.isDirectory())
    return { store: new FileStore(resolved), key: 'model.json' };
  return { store: new FileStore(path.dirname(resolved)), key: path.basename(resolved) };
}

/**
 * A folder is listed from its root (prefix `''`); a `.npy` file, or any other file (which the data
 * reader then refuses by name), is a key in its folder.
 */
export async function locateData(dataPath: string): Promise<DataLocation> {
  const resolved = path.resolve(dataPath);
  const info = await statOrUndefined(resolved);
  const isFile = info ? !info.isDirectory() : /\.npy$/i.test(resolved);
  if (isFile) return { store: new FileStore(path.dirname(resolved)), prefix: path.basename(resolved) };
  return { store: new FileStore(resolved), prefix: '' };
}
