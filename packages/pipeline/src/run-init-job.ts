/**
 * One initialization job from stores to stores: read and check the model, draw a data sample, run
 * the initializer, write the checkpoint (shards, then model.json, then report.json). Every input
 * problem surfaces before anything is written, so a failed job leaves no output behind.
 */
import { type InitOptionsInput, type InitReport, type Limits, resolveLimits } from '@ddinit/contracts';
import { assertSupportedTopology, initialize, type Progress, parseOptions } from '@ddinit/core';
import { type PreprocessingInput, readSample } from '@ddinit/data';
import { renderReportHtml } from '@ddinit/report-html';
import { buildModel, type ObjectStore, readModel, type WrittenFile, writeCheckpoint } from '@ddinit/storage';
import type { BackendInfo } from '@ddinit/tf';
import type * as tf from '@tensorflow/tfjs';
import { inputShapeUnknown, outputExists } from './errors.js';
import { assertFiniteWeights } from './finite-weights.js';
import { seedInitializers } from './seed-initializers.js';

export type JobPhase = 'load' | 'data' | Progress['phase'] | 'save';

export interface JobProgress extends Omit<Progress, 'phase'> {
  phase: JobPhase;
}

export interface InitJob {
  /** Where model.json is; its shards are read from beside it. */
  model: { store: ObjectStore; key: string };
  /** A folder of images or a .npy file. */
  data: { store: ObjectStore; prefix: string; preprocessing?: PreprocessingInput };
  /**
   * Where the checkpoint goes. `shardFolder` (relative to `prefix`) holds the weight files, so that
   * retries of one job write theirs apart (see `WriteCheckpointOptions.shardFolder`).
   */
  output: { store: ObjectStore; prefix: string; overwrite?: boolean; shardFolder?: string };
  options?: InitOptionsInput;
  /** The operator's bounds on the model and the data. @defaultValue `DEFAULT_LIMITS` */
  limits?: Partial<Limits>;
  backend: BackendInfo;
  signal?: AbortSignal;
  onProgress?: (progress: JobProgress) => void;
  ddinitVersion?: string;
}

/** The self-contained HTML page of the report, written beside report.json. */
export const REPORT_HTML_FILE = 'report.html';

export interface InitJobResult {
  report: InitReport;
  files: WrittenFile[];
}

/** Where the engine's own phases sit in the job's overall fraction. */
const ENGINE_SPAN: [number, number] = [0.15, 0.95];

export async function runInitJob(job: InitJob): Promise<InitJobResult> {
  const options = parseOptions(job.options);
  const limits = resolveLimits(job.limits);
  const progress = (phase: JobPhase, fraction: number, message: string) =>
    job.onProgress?.({ phase, fraction, message });
  const started = performance.now();
  let clock = started;
  const lap = () => {
    const now = performance.now();
    const elapsed = now - clock;
    clock = now;
    return elapsed;
  };

  progress('load', 0, 'reading the model');
  const { prefix: outPrefix, store: outStore } = job.output;
  if (!job.output.overwrite && (await outStore.stat(joinKey(outPrefix, 'model.json')))) {
    throw outputExists(outStore.uri(joinKey(outPrefix, 'model.json')));
  }
  const modelUri = job.model.store.uri(job.model.key);
  const artifacts = await readModel(job.model.store, job.model.key, limits);
  assertSupportedTopology(artifacts.modelTopology);
  const hasWeights = artifacts.weightData != null;
  const model = await buildModel(
    hasWeights
      ? artifacts
      : { ...artifacts, modelTopology: seedInitializers(artifacts.modelTopology, options.seed) },
    { source: modelUri, maxParameters: limits.maxParameters },
  );
  const loadMs = lap();
  let sample: { init: tf.Tensor; heldOut: tf.Tensor | null } | undefined;
  try {
    if (hasWeights && options.random === 'keep') assertFiniteWeights(model, modelUri);
    progress('data', 0.05, 'reading the data sample');
    const inputShape = model.inputs[0]!.shape.slice(1);
    if (inputShape.some((d) => d == null)) throw inputShapeUnknown(JSON.stringify(model.inputs[0]!.shape));
    sample = await readSample(
      job.data.store,
      job.data.prefix,
      { shape: inputShape as number[] },
      job.data.preprocessing ?? {},
      { count: options.sample, heldOut: options.heldOut, seed: options.seed },
      {
        signal: job.signal,
        maxListedKeys: limits.maxListedKeys,
        maxSampleImages: limits.maxSampleImages,
        maxPixelsPerImage: limits.maxPixelsPerImage,
      },
    );
    const dataMs = lap();

    const [start, end] = ENGINE_SPAN;
    const report = await initialize({
      model,
      sample: sample.init,
      heldOut: sample.heldOut,
      options,
      hasWeights,
      backend: job.backend,
      signal: job.signal,
      onProgress: (p) => job.onProgress?.({ ...p, fraction: start + (end - start) * p.fraction }),
      ddinitVersion: job.ddinitVersion,
    });
    lap();

    progress('save', end, 'writing the checkpoint');
    job.signal?.throwIfAborted();
    report.timingsMs = { load: loadMs, data: dataMs, ...report.timingsMs };
    const title = `ddinit · ${modelUri}`;
    const { files } = await writeCheckpoint(
      outStore,
      outPrefix,
      {
        modelTopology: artifacts.modelTopology as object,
        weights: namedWeights(model),
        extraFiles: [
          { key: REPORT_HTML_FILE, data: new TextEncoder().encode(renderReportHtml(report, { title })) },
        ],
        report,
      },
      { shardFolder: job.output.shardFolder },
    );
    report.timingsMs.save = lap();
    progress('save', 1, 'done');
    return { report, files };
  } finally {
    sample?.init.dispose();
    sample?.heldOut?.dispose();
    model.dispose();
  }
}

/** The model's weights under the names tfjs saves and loads them by (`layer/kernel`), in its order. */
function namedWeights(model: tf.LayersModel): { name: string; tensor: tf.Tensor }[] {
  return model.weights.map((w) => ({ name: w.originalName, tensor: w.read() }));
}

function joinKey(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix.replace(/\/+$/, '')}/${name}`;
}
