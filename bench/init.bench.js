// How long a whole data-dependent initialization takes, in units of one forward+backward pass.
//
//   npm run bench                       # build, then both models, 3 job runs each
//   BENCH_RUNS=5 BENCH_MODELS=vgg11 node bench/init.bench.js
//
// For each bench model, on the backend `selectBackend()` picks (DDINIT_BACKEND can force one):
//   1. one forward and one forward+backward pass of a batch (gradients of a random linear loss
//      w.r.t. every trainable weight, tf.variableGrads), warm-up once, then the median of BENCH_PASS_REPS;
//   2. the whole `runInitJob` (model and images read from disk through FileStore, checkpoint written
//      to a temp dir), default options apart from sample/batch/held-out, median of BENCH_RUNS runs,
//      per phase (load, data, prepare, within, between, report, save) and in total;
//   3. the same job once with `between: 'iterative', iterations: 10` (the paper's Algorithm 2).
// Writes bench/results.json and prints a Markdown table.
//
// Environment:
//   BENCH_RUNS        job repeats per model (default 3)
//   BENCH_PASS_REPS   timed forward and forward+backward passes after the warm-up (default 5)
//   BENCH_MODELS      comma-separated subset of: vgg11, caffenet (default both)
//   BENCH_ITERATIVE   0 to skip the iterative comparison run
//   BENCH_OUT         where to write the JSON (default bench/results.json)
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { runInitJob, seedInitializers } from '../packages/pipeline/dist/index.js';
import { buildModel, FileStore, readModel } from '../packages/storage/dist/index.js';
import { selectBackend } from '../packages/tf/dist/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const MODELS = [
  {
    id: 'vgg11',
    name: 'VGG-11 (CIFAR, 32×32×3)',
    dir: 'bench/models/vgg11-cifar',
    options: { sample: 256, batchSize: 64, heldOut: 64 },
  },
  {
    id: 'caffenet',
    name: 'CaffeNet-like (227×227×3)',
    dir: 'bench/models/caffenet',
    options: { sample: 64, batchSize: 16, heldOut: 16 },
  },
];
const IMAGES = 'examples/images';
const ENGINE_PHASES = ['prepare', 'within', 'between', 'report'];
const JOB_PHASES = ['load', 'data', ...ENGINE_PHASES, 'save'];

const intEnv = (name, fallback, min) => {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    console.error(`${name} must be an integer ≥ ${min}, got "${raw}"`);
    process.exit(2);
  }
  return value;
};
const runs = intEnv('BENCH_RUNS', 3, 1);
const passReps = intEnv('BENCH_PASS_REPS', 5, 1);
const withIterative = process.env.BENCH_ITERATIVE !== '0';
const wanted = (process.env.BENCH_MODELS ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const unknown = wanted.filter((id) => !MODELS.some((m) => m.id === id));
if (unknown.length > 0) {
  console.error(`BENCH_MODELS: unknown ${unknown.join(', ')} (known: ${MODELS.map((m) => m.id).join(', ')})`);
  process.exit(2);
}
const models = wanted.length > 0 ? MODELS.filter((m) => wanted.includes(m.id)) : MODELS;
const outFile = path.resolve(root, process.env.BENCH_OUT ?? 'bench/results.json');

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const log = (message) => process.stderr.write(`${message}\n`);

/** The bench model as the job builds it (topology-only, initializers seeded). */
async function loadModel(dir) {
  const store = new FileStore(path.resolve(root, dir));
  const artifacts = await readModel(store, 'model.json');
  return buildModel({ ...artifacts, modelTopology: seedInitializers(artifacts.modelTopology, 0) });
}

/** Median wall time of `step` (which returns tensors, read back and disposed) after one warm-up. */
async function timeStep(step, reps) {
  const times = [];
  for (let i = 0; i <= reps; i++) {
    const start = performance.now();
    const outputs = step();
    await Promise.all(outputs.map((t) => t.data()));
    const elapsed = performance.now() - start;
    tf.dispose(outputs);
    if (i > 0) times.push(elapsed);
  }
  return { medianMs: median(times), minMs: Math.min(...times), runsMs: times };
}

/** One forward and one forward+backward pass of a batch on the active backend. */
async function timePasses(spec) {
  const model = await loadModel(spec.dir);
  const batch = spec.options.batchSize;
  const x = tf.randomNormal([batch, ...model.inputs[0].shape.slice(1)], 0, 1, 'float32', 1);
  const g = tf.randomNormal([batch, ...model.outputs[0].shape.slice(1)], 0, 1, 'float32', 2);
  const variables = model.trainableWeights.map((w) => w.read());
  // Inference mode (dropout off), as the initializer runs the model.
  const forward = () => [tf.tidy(() => model.apply(x, { training: false }))];
  const loss = () => tf.div(tf.sum(tf.mul(g, model.apply(x, { training: false }))), batch);
  const forwardBackward = () =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(loss, variables);
      return [value, ...Object.values(grads)];
    });
  try {
    return {
      batch,
      parameters: model.countParams(),
      forward: await timeStep(forward, passReps),
      forwardBackward: await timeStep(forwardBackward, passReps),
    };
  } finally {
    tf.dispose([x, g]);
    model.dispose();
  }
}

/** One whole job from disk to a temp dir; wall time and the report's own phase timings. */
async function timeJob(spec, backend, extraOptions = {}) {
  const out = await mkdtemp(path.join(os.tmpdir(), `ddinit-bench-${spec.id}-`));
  try {
    const tensorsBefore = tf.memory().numTensors;
    const start = performance.now();
    const { report, files } = await runInitJob({
      model: { store: new FileStore(path.resolve(root, spec.dir)), key: 'model.json' },
      data: { store: new FileStore(path.resolve(root, IMAGES)), prefix: '' },
      output: { store: new FileStore(out), prefix: '' },
      options: { ...spec.options, ...extraOptions },
      backend,
    });
    const wallMs = performance.now() - start;
    const phasesMs = Object.fromEntries(JOB_PHASES.map((p) => [p, report.timingsMs[p] ?? 0]));
    return {
      wallMs,
      phasesMs,
      initializerMs: ENGINE_PHASES.reduce((s, p) => s + phasesMs[p], 0),
      jobMs: JOB_PHASES.reduce((s, p) => s + phasesMs[p], 0),
      passes: report.passes,
      // max C_k / min C_k before and after the between-layer step (closed form: after is predicted from the pooled passes).
      changeRateSpread: report.changeRateSpread ?? null,
      images: report.images,
      bytesWritten: files.reduce((s, f) => s + f.bytes, 0),
      leakedTensors: tf.memory().numTensors - tensorsBefore,
    };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

function summarize(jobRuns, fwdBwdMs) {
  const phasesMs = Object.fromEntries(JOB_PHASES.map((p) => [p, median(jobRuns.map((r) => r.phasesMs[p]))]));
  const initializerMs = median(jobRuns.map((r) => r.initializerMs));
  const jobMs = median(jobRuns.map((r) => r.jobMs));
  const wallMs = median(jobRuns.map((r) => r.wallMs));
  return {
    phasesMs,
    initializerMs,
    jobMs,
    wallMs,
    ratio: { initializer: initializerMs / fwdBwdMs, job: jobMs / fwdBwdMs, wall: wallMs / fwdBwdMs },
    passes: jobRuns[0].passes,
    changeRateSpread: jobRuns[0].changeRateSpread,
  };
}

const fmt = (ms) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
const fx = (r) => `${r.toFixed(1)}×`;
const spread = (s) => (s ? `${fx(s.before)} → ${fx(s.after)}` : '–');

function markdown(results) {
  const lines = [];
  for (const m of results.models) {
    const s = m.closedForm;
    lines.push(
      `### ${m.name} — sample ${m.options.sample}, batch ${m.options.batchSize}, held-out ${m.options.heldOut}`,
      '',
      `One pass of a batch of ${m.passes.batch}: forward ${fmt(m.passes.forward.medianMs)} ms, forward+backward ${fmt(m.passes.forwardBackward.medianMs)} ms (median of ${passReps}).`,
      '',
      `| run | ${JOB_PHASES.join(' | ')} | initializer | job | init ÷ fwd+bwd | job ÷ fwd+bwd | passes fwd/bwd | C spread before → after |`,
      `|---|${JOB_PHASES.map(() => '---:').join('|')}|---:|---:|---:|---:|---:|---:|`,
    );
    const row = (label, r) =>
      `| ${label} | ${JOB_PHASES.map((p) => fmt(r.phasesMs[p])).join(' | ')} | ${fmt(r.initializerMs)} | ${fmt(r.jobMs)} | ${fx(r.ratio.initializer)} | ${fx(r.ratio.job)} | ${r.passes.forward}/${r.passes.backward} | ${spread(r.changeRateSpread)} |`;
    lines.push(row(`default (closed-form), median of ${m.runs.length}`, s));
    if (m.iterative) lines.push(row('paper: iterative ×10, 1 run', m.iterative));
    lines.push('', 'All times in ms.', '');
  }
  return lines.join('\n');
}

const backend = await selectBackend();
const cpus = os.cpus();
const machine = {
  cpu: cpus[0]?.model ?? 'unknown',
  cores: cpus.length,
  memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
  platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  node: process.version,
};
console.log(
  `Backend: ${backend.name}, ${backend.threads} thread(s)${backend.detail ? ` [${backend.detail}]` : ''}`,
);
console.log(
  `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}`,
);
console.log(`Job runs per model: ${runs}; timed passes: ${passReps} after one warm-up`);
console.log('');

const results = {
  date: new Date().toISOString(),
  machine,
  backend: { name: backend.name, threads: backend.threads, detail: backend.detail ?? null },
  tfjsVersion: tf.version.tfjs,
  settings: { runs, passReps, iterative: withIterative },
  // Other processes on the box inflate every number: the 1-minute load average, start and end.
  loadAvg: { start: os.loadavg()[0], end: null },
  models: [],
};
if (results.loadAvg.start > machine.cores * 0.75)
  console.log(
    `Warning: load average ${results.loadAvg.start.toFixed(1)} on ${machine.cores} cores; timings will be inflated.\n`,
  );
const benchStart = performance.now();
for (const spec of models) {
  const modelLoadStart = os.loadavg()[0];
  log(`[${spec.id}] timing passes… (load average ${modelLoadStart.toFixed(1)})`);
  const passes = await timePasses(spec);
  log(
    `[${spec.id}] fwd ${fmt(passes.forward.medianMs)} ms, fwd+bwd ${fmt(passes.forwardBackward.medianMs)} ms`,
  );
  const jobRuns = [];
  for (let i = 0; i < runs; i++) {
    const r = await timeJob(spec, backend);
    log(
      `[${spec.id}] job ${i + 1}/${runs}: ${fmt(r.wallMs)} ms  ${JOB_PHASES.map((p) => `${p} ${fmt(r.phasesMs[p])}`).join(', ')}`,
    );
    jobRuns.push(r);
  }
  const fwdBwd = passes.forwardBackward.medianMs;
  const entry = {
    loadAvg: { start: modelLoadStart, end: os.loadavg()[0] },
    id: spec.id,
    name: spec.name,
    options: spec.options,
    passes,
    closedForm: summarize(jobRuns, fwdBwd),
    runs: jobRuns,
    iterative: null,
  };
  if (withIterative) {
    const r = await timeJob(spec, backend, { between: 'iterative', iterations: 10 });
    log(
      `[${spec.id}] iterative ×10: ${fmt(r.wallMs)} ms  ${JOB_PHASES.map((p) => `${p} ${fmt(r.phasesMs[p])}`).join(', ')}`,
    );
    entry.iterative = {
      ...summarize([r], fwdBwd),
      run: r,
      options: { between: 'iterative', iterations: 10 },
    };
  }
  entry.loadAvg.end = os.loadavg()[0];
  results.models.push(entry);
}
results.benchWallMs = performance.now() - benchStart;
results.loadAvg.end = os.loadavg()[0];

console.log(markdown(results));
await writeFile(outFile, `${JSON.stringify(results, null, 2)}\n`);
console.log(
  `Wrote ${path.relative(process.cwd(), outFile)} (bench took ${(results.benchWallMs / 1000).toFixed(0)} s; ` +
    `load average ${results.loadAvg.start.toFixed(1)} at start, ${results.loadAvg.end.toFixed(1)} at end)`,
);
