import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { checkpointInvalid, storageWriteUnverified, weightUnsupported } from './errors.js';
import { asFolder, resolveInside } from './keys.js';
import type { ObjectStore } from './object-store.js';
import { layoutSafetensors, type NamedWeight } from './safetensors.js';

/** File names inside a checkpoint's prefix. */
export const MODEL_JSON = 'model.json';
export const SAFETENSORS_FILE = 'weights.safetensors';
export const REPORT_FILE = 'report.json';
/** The tfjs converter's shard naming, 1-based: `group1-shard1of3.bin`. */
export const shardName = (index: number, count: number): string => `group1-shard${index + 1}of${count}.bin`;

/** An initialized model, ready to be written. */
export interface Checkpoint {
  /** The `modelTopology` of the source model.json, written back untouched. */
  modelTopology: object;
  /** The weights in tfjs order (`model.weights`), named as the topology names them (`conv2d/kernel`). */
  weights: NamedWeight[];
  /** The run's report, written as `report.json` last: its presence marks the checkpoint complete. */
  report?: unknown;
  /** Further files (an HTML report), keyed relative to the prefix; written after model.json. */
  extraFiles?: { key: string; data: Uint8Array }[];
}

export type CheckpointFormat = 'tfjs' | 'safetensors';

export interface WriteCheckpointOptions {
  /**
   * Largest weight shard, in bytes; the tfjs converter's default.
   * @defaultValue 4 MiB (`4_194_304`)
   */
  shardBytes?: number;
  /**
   * Weight formats to write: `tfjs` shards listed in model.json's `weightsManifest`, and/or one
   * `weights.safetensors`. Without `tfjs`, model.json carries the topology only, so tfjs would load it
   * with freshly initialized weights: read the weights from `weights.safetensors` instead.
   * @defaultValue `['tfjs', 'safetensors']`
   */
  format?: CheckpointFormat[];
  /**
   * The `generatedBy` field of model.json.
   * @defaultValue `'ddinit'`
   */
  generatedBy?: string;
  /**
   * Folder, relative to the prefix, for the weight files (shards and `weights.safetensors`), e.g.
   * `attempts/<jobId>-<attempt>/`; model.json's `weightsManifest` points into it, while model.json and
   * report.json stay at the prefix. Two attempts of one job (a retry racing a stalled run) then never
   * overwrite each other's shards, and whichever model.json lands last names a complete set.
   * @defaultValue `''`: the weight files sit beside model.json
   */
  shardFolder?: string;
}

export const DEFAULT_SHARD_BYTES = 4 * 1024 ** 2;

/** One written object, in write order. */
export interface WrittenFile {
  key: string;
  uri: string;
  bytes: number;
  /** Hex SHA-256 of the contents. */
  sha256: string;
}

export interface WrittenCheckpoint {
  files: WrittenFile[];
}

/**
 * Writes a checkpoint under `prefix` so that a half-written one never looks complete: weight shards,
 * then `weights.safetensors` (both in `options.shardFolder`, if given), then `model.json` (which is all
 * a tfjs loader looks at), then the extra files, then `report.json`. Everything is encoded and checked
 * before the first write, and each file is read back and compared before the next is written.
 */
export async function writeCheckpoint(
  store: ObjectStore,
  prefix: string,
  checkpoint: Checkpoint,
  options: WriteCheckpointOptions = {},
): Promise<WrittenCheckpoint> {
  const folder = asFolder(prefix);
  const where = store.uri(folder);
  const formats = checkFormats(options.format ?? ['tfjs', 'safetensors'], where);
  const shardBytes = options.shardBytes ?? DEFAULT_SHARD_BYTES;
  if (!Number.isSafeInteger(shardBytes) || shardBytes <= 0) {
    throw checkpointInvalid(where, `shardBytes must be a positive integer, got ${shardBytes}`);
  }
  checkWeights(checkpoint.weights, where);
  const shardFolder = checkShardFolder(options.shardFolder ?? '', folder, where);

  // encodeWeights reads every tensor off the backend once; both formats share its bytes.
  const encoded = await tf.io.encodeWeights(checkpoint.weights);
  const data = new Uint8Array(encoded.data);
  const files: { name: string; data: Uint8Array }[] = [];

  const shards: string[] = [];
  if (formats.has('tfjs')) {
    const count = Math.ceil(data.length / shardBytes);
    for (let i = 0; i < count; i++) {
      const name = shardFolder + shardName(i, count);
      shards.push(name);
      files.push({ name, data: data.subarray(i * shardBytes, (i + 1) * shardBytes) });
    }
  }
  if (formats.has('safetensors'))
    files.push({ name: shardFolder + SAFETENSORS_FILE, data: layoutSafetensors(encoded.specs, data) });

  // tfjs types the manifest as required; a safetensors-only checkpoint has none.
  const modelJson: Omit<tf.io.ModelJSON, 'weightsManifest'> & Partial<tf.io.ModelJSON> = {
    format: 'layers-model',
    generatedBy: options.generatedBy ?? 'ddinit',
    convertedBy: null,
    modelTopology: checkpoint.modelTopology,
    ...(formats.has('tfjs') && { weightsManifest: [{ paths: shards, weights: encoded.specs }] }),
  };
  files.push({ name: MODEL_JSON, data: encodeJson(modelJson) });

  const reserved = new Set([...files.map((file) => folder + file.name), folder + REPORT_FILE]);
  for (const extra of checkpoint.extraFiles ?? []) {
    const resolved = resolveInside(folder, extra.key);
    if ('problem' in resolved)
      throw checkpointInvalid(where, `extra file ${JSON.stringify(extra.key)} ${resolved.problem}`);
    if (reserved.has(resolved.key)) {
      throw checkpointInvalid(
        where,
        `extra file ${JSON.stringify(extra.key)} would overwrite a checkpoint file`,
      );
    }
    reserved.add(resolved.key);
    files.push({ name: resolved.key.slice(folder.length), data: extra.data });
  }
  if (checkpoint.report !== undefined)
    files.push({ name: REPORT_FILE, data: encodeReport(checkpoint.report, where) });

  // One at a time, in order: the order is the protocol (research §3.6).
  const written: WrittenFile[] = [];
  for (const file of files) {
    const key = folder + file.name;
    const sha256 = sha256Of(file.data);
    await putVerified(store, key, file.data, sha256);
    written.push({ key, uri: store.uri(key), bytes: file.data.length, sha256 });
  }
  return { files: written };
}

/** Tries per file of a write that does not read back as written. */
export const WRITE_VERIFY_ATTEMPTS = 3;

/**
 * Writes `key` and reads it back, comparing size and SHA-256, so that nothing written after it (above
 * all model.json) can point at a short or altered object. Reading back is the one check that holds
 * on every S3-compatible service: S3's own checksums (ETag, `x-amz-checksum-*`) are MD5s only
 * sometimes, or absent on services such as s3rver. A write that keeps reading back wrong is deleted,
 * and the error says what came back.
 */
async function putVerified(store: ObjectStore, key: string, data: Uint8Array, sha256: string): Promise<void> {
  let problem = '';
  for (let attempt = 1; attempt <= WRITE_VERIFY_ATTEMPTS; attempt++) {
    await store.put(key, data);
    const back = await store.get(key);
    const backSha256 = sha256Of(back);
    if (back.length === data.length && backSha256 === sha256) return;
    problem =
      `${back.length} bytes with SHA-256 ${backSha256} read back, not the ${data.length} bytes with ` +
      `SHA-256 ${sha256} written (${WRITE_VERIFY_ATTEMPTS} tries)`;
  }
  await store.delete([key]).catch(() => {});
  throw storageWriteUnverified(store.uri(key), problem);
}

function sha256Of(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function checkFormats(format: readonly CheckpointFormat[], where: string): Set<CheckpointFormat> {
  const unknown = format.filter((name) => name !== 'tfjs' && name !== 'safetensors');
  if (unknown.length > 0)
    throw checkpointInvalid(where, `unknown weight format ${JSON.stringify(unknown[0])}`);
  if (format.length === 0)
    throw checkpointInvalid(where, 'format names no weight format (tfjs, safetensors)');
  return new Set(format);
}

/** The shard folder as a relative folder ending in `/` (or `''`), refusing one outside the prefix. */
function checkShardFolder(shardFolder: string, folder: string, where: string): string {
  if (shardFolder === '') return '';
  // Judged through a file inside it, so `.` and `a/..` resolve as they would in a path.
  const resolved = resolveInside(folder, `${shardFolder.replace(/\/+$/, '')}/x`);
  if ('problem' in resolved)
    throw checkpointInvalid(where, `shardFolder ${JSON.stringify(shardFolder)} ${resolved.problem}`);
  return resolved.key.slice(folder.length, -1);
}

function checkWeights(weights: readonly NamedWeight[], where: string): void {
  const names = new Set<string>();
  for (const { name, tensor } of weights) {
    if (typeof name !== 'string' || name === '') throw checkpointInvalid(where, 'a weight has no name');
    if (names.has(name)) throw checkpointInvalid(where, `weight ${JSON.stringify(name)} appears twice`);
    if (tensor.isDisposed) throw weightUnsupported(name, 'its tensor is disposed');
    names.add(name);
  }
}

function encodeJson(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

function encodeReport(report: unknown, where: string): Uint8Array {
  let text: string | undefined;
  try {
    text = JSON.stringify(report, null, 2);
  } catch (error) {
    throw checkpointInvalid(
      where,
      `the report is not JSON (${error instanceof Error ? error.message : error})`,
    );
  }
  if (text === undefined) throw checkpointInvalid(where, `the report is not JSON (a ${typeof report})`);
  return new TextEncoder().encode(`${text}\n`);
}
