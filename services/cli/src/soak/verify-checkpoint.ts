/**
 * Checks a succeeded job's checkpoint as a client would trust it: every file of `result.files` holds
 * the stated bytes and SHA-256, model.json loads as a tfjs model that computes finite outputs, and its
 * weights all come from one attempt of this job.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobResult } from '@ddinit/contracts';
import { FileStore, readModel } from '@ddinit/storage';
import * as tf from '@tensorflow/tfjs';
import { INPUT_SHAPE, OUTPUT_UNITS } from './tiny-model.js';

export interface CheckpointCheck {
  /** Empty when the checkpoint is sound. */
  problems: string[];
  /** The attempt whose folder holds the weights model.json names. */
  attempt?: number;
}

export async function verifyCheckpoint(jobId: string, result: JobResult): Promise<CheckpointCheck> {
  const problems: string[] = [];
  for (const file of result.files) {
    const bytes = await readFile(fileURLToPath(file.uri)).catch(() => undefined);
    if (!bytes) problems.push(`${file.uri} is missing`);
    else if (bytes.length !== file.bytes)
      problems.push(`${file.uri} has ${bytes.length} bytes, not ${file.bytes}`);
    else if (createHash('sha256').update(bytes).digest('hex') !== file.sha256)
      problems.push(`${file.uri} does not match its sha256`);
  }
  const modelJson = fileURLToPath(result.checkpoint);
  if (!result.files.some((file) => file.uri === result.checkpoint))
    problems.push('result.files does not list model.json');

  const folder = path.dirname(modelJson);
  let attempt: number | undefined;
  try {
    const json = JSON.parse(await readFile(modelJson, 'utf8')) as { weightsManifest?: { paths: string[] }[] };
    const attempts = new Set(
      (json.weightsManifest ?? []).flatMap((group) =>
        group.paths.map((p) => new RegExp(`^attempts/${encodeURIComponent(jobId)}-(\\d+)/`).exec(p)?.[1]),
      ),
    );
    if (attempts.size !== 1 || attempts.has(undefined))
      problems.push(
        `model.json names weights of ${[...attempts].join(', ')} rather than one attempt of the job`,
      );
    else attempt = Number([...attempts][0]);

    const model = await tf.loadLayersModel({ load: () => readModel(new FileStore(folder), 'model.json') });
    const output = tf.tidy(() => (model.predict(tf.ones([1, ...INPUT_SHAPE])) as tf.Tensor).dataSync());
    model.dispose();
    if (output.length !== OUTPUT_UNITS || !output.every(Number.isFinite))
      problems.push(`the model computes ${output.length} values, not ${OUTPUT_UNITS} finite ones`);
  } catch (error) {
    problems.push(`model.json does not load: ${(error as Error).message}`);
  }
  return { problems, ...(attempt !== undefined && { attempt }) };
}
