// Forward and forward+backward time of a VGG-11-style CIFAR net on the wasm backend, threaded SIMD
// build on all cores against the stock single-threaded SIMD build, both with the @ddinit/tf kernels
// (the stock package cannot take conv weight gradients at all).
//
//   npx tsc -b packages/tf && node bench/kernels.bench.js [--reps 5] [--rounds 1] [--batch 64] [--profile]
//
// Each build runs in its own child process: a process sets up the wasm backend once.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { loadWasmBackend } from '../packages/tf/dist/index.js';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(args[at + 1]);
};
const reps = option('reps', 5);
const batch = option('batch', 64);

const VGG11 = [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'];

function vgg11() {
  const model = tf.sequential();
  VGG11.forEach((layer, i) => {
    const shape = i === 0 ? { inputShape: [32, 32, 3] } : {};
    model.add(
      layer === 'M'
        ? tf.layers.maxPooling2d({ poolSize: 2, strides: 2 })
        : tf.layers.conv2d({ filters: layer, kernelSize: 3, padding: 'same', activation: 'relu', ...shape }),
    );
  });
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 512, activation: 'relu' }));
  model.add(tf.layers.dense({ units: 512, activation: 'relu' }));
  model.add(tf.layers.dense({ units: 10 }));
  return model;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Median wall time of `step` over `reps` runs after one warm-up, reading results back each time. */
async function time(step) {
  const runs = [];
  for (let i = 0; i <= reps; i++) {
    const start = performance.now();
    const outputs = step();
    await Promise.all(outputs.map((t) => t.data()));
    tf.dispose(outputs);
    if (i > 0) runs.push(performance.now() - start);
  }
  return median(runs);
}

async function measure(threads) {
  const info = await loadWasmBackend({ threads });
  const model = vgg11();
  const x = tf.randomNormal([batch, 32, 32, 3]);
  const labels = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32'), 10);
  const loss = () => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }));
  const forward = () => [tf.tidy(() => model.apply(x))];
  const backward = () =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(loss);
      return [value, ...Object.values(grads)];
    });
  const result = { ...info, forwardMs: await time(forward), forwardBackwardMs: await time(backward) };
  if (args.includes('--profile')) result.profile = await profile(backward);
  return result;
}

/** Total kernel time per kernel name over one fwd+bwd, largest first. */
async function profile(step) {
  const { kernels } = await tf.profile(() => step());
  const totals = new Map();
  for (const k of kernels) totals.set(k.name, (totals.get(k.name) ?? 0) + (await k.kernelTimeMs));
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 10)
    .map(([name, ms]) => `${name} ${ms.toFixed(0)}`);
}

if (args.includes('--child')) {
  const result = await measure(option('threads', 1));
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  // On a shared machine load drifts: alternate the builds for --rounds rounds and keep each one's best.
  const rounds = option('rounds', 1);
  const script = fileURLToPath(import.meta.url);
  const all = Math.min(os.availableParallelism(), 8);
  console.log(`VGG-11 CIFAR, batch ${batch}, median of ${reps} runs, ${os.cpus()[0]?.model}, ${all} cores`);
  const best = new Map();
  for (let round = 0; round < rounds; round++) {
    for (const threads of [all, 1]) {
      const r = runChild(script, threads);
      console.log(
        `wasm ${r.threads} thread(s) [${r.detail}]: fwd ${r.forwardMs.toFixed(0)} ms, fwd+bwd ${r.forwardBackwardMs.toFixed(0)} ms (load ${os.loadavg()[0].toFixed(1)})`,
      );
      if (r.profile) console.log(`  kernels (ms): ${r.profile.join(', ')}`);
      const kept = best.get(threads);
      best.set(threads, {
        forwardMs: Math.min(kept?.forwardMs ?? Infinity, r.forwardMs),
        forwardBackwardMs: Math.min(kept?.forwardBackwardMs ?? Infinity, r.forwardBackwardMs),
      });
    }
  }
  if (rounds > 1) {
    for (const [threads, r] of best) {
      console.log(
        `best of ${rounds}, ${threads} thread(s): fwd ${r.forwardMs.toFixed(0)} ms, fwd+bwd ${r.forwardBackwardMs.toFixed(0)} ms`,
      );
    }
  }
}

function runChild(script, threads) {
  const child = spawnSync(process.execPath, [script, ...args, '--child', '--threads', String(threads)], {
    encoding: 'utf8',
  });
  const line = child.stdout.trim().split('\n').at(-1);
  if (child.status !== 0 || !line?.startsWith('{')) {
    console.error(child.stderr);
    process.exit(1);
  }
  return JSON.parse(line);
}
