/**
 * The whole service path as a client lives it: inputs uploaded to S3 (s3rver), a job submitted over
 * HTTP to the API, run by a worker process (real Redis, sandboxed processor, wasm), polled to the end,
 * its checkpoint downloaded through the presigned URLs and loaded by tfjs, and the initialized network
 * checked against the engine's statistical bars on images the job never saw.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { InitReport, JobDownload, JobView } from '@ddinit/contracts';
import { readSample } from '@ddinit/data';
import * as tf from '@tensorflow/tfjs';
import {
  median,
  preActivations,
  referenceRates,
  spread,
  useFastBackend,
} from '../../../packages/core/src/testing/fixtures.js';
import { startTestApi, stopTestApi, type TestApi } from '../../api/src/testing/harness.js';
import {
  BUCKET,
  type Fixtures,
  setUp,
  spawnWorker,
  type WorkerProcess,
  waitFor,
} from '../../worker/src/testing/fixtures.js';
import { IMAGES } from './testing/cli.js';

/** Images of the job's sample, and further ones it never sees; the example set has 320. */
const SAMPLE = 256;
const HELD_OUT = 64;
const BETA = 0.25;
/** Phases in the order the worker goes through them (pipeline, then engine, then pipeline). */
const PHASES = ['load', 'data', 'prepare', 'within', 'between', 'report', 'save'];

let fx: Fixtures;
let api: TestApi;
let worker: WorkerProcess;

beforeAll(async () => {
  await useFastBackend();
  fx = await setUp('whole-path');
  // A short grace: a job still running when the test gives up is not worth waiting for.
  worker = spawnWorker({ ...fx.env, DDINIT_SHUTDOWN_GRACE_S: '2' });
  const images = (await readdir(IMAGES)).filter((name) => /\.(jpe?g|png)$/.test(name)).sort();
  // Every fifth image held out: both sets then span the example set, whose order is not random.
  const heldOut = images.filter((_, i) => i % 5 === 4).slice(0, HELD_OUT);
  const sample = images.filter((_, i) => i % 5 !== 4).slice(0, SAMPLE);
  if (heldOut.length < HELD_OUT || sample.length < SAMPLE)
    throw new Error(`${IMAGES} has ${images.length} images; this test needs ${SAMPLE + HELD_OUT}`);
  const upload = async (names: string[], folder: string) => {
    for (let i = 0; i < names.length; i += 32)
      await Promise.all(
        names
          .slice(i, i + 32)
          .map(async (name) => fx.store.put(`${folder}/${name}`, await readFile(path.join(IMAGES, name)))),
      );
  };
  [api] = await Promise.all([
    startTestApi('whole-path', {
      queuePrefix: fx.prefix,
      allowedBuckets: [BUCKET],
      s3: { ...fx.s3.settings, region: 'us-east-1', forcePathStyle: true },
    }),
    upload(sample, 'train'),
    upload(heldOut, 'heldout'),
  ]);
}, 60_000);

afterAll(async () => {
  if (worker && worker.child.exitCode === null && worker.child.signalCode === null) {
    worker.child.kill('SIGTERM');
    await worker.exited;
  }
  await stopTestApi(api);
  await fx?.close();
});

test('a job submitted over HTTP runs on a worker, and its downloaded checkpoint is initialized', async () => {
  const created = await api.request('POST', '/v1/jobs', {
    body: {
      model: { uri: `s3://${BUCKET}/models/vgg-cifar/model.json` },
      dataset: { uri: `s3://${BUCKET}/train/`, sample: SAMPLE, heldOut: 0 },
      init: { beta: BETA, batchSize: 64 },
      output: { uri: `s3://${BUCKET}/out/whole-path/` },
    },
  });
  expect(created.status).toBe(202);
  const id: string = created.body.id;

  // Every progress the API showed, in the order it showed them.
  const seen: NonNullable<JobView['progress']>[] = [];
  let view: JobView | undefined;
  await waitFor(
    `job ${id} to succeed`,
    async () => {
      const polled = await api.request<JobView>('GET', `/v1/jobs/${id}`);
      expect(polled.status).toBe(200);
      view = polled.body;
      if (view.status === 'failed' || view.status === 'cancelled')
        throw new Error(`job ${view.status}: ${JSON.stringify(view.error)}\n${worker.log()}`);
      if (view.progress) seen.push(view.progress);
      return view.status === 'succeeded';
    },
    80_000,
  );
  const result = view!.result!;
  expect(result.checkpoint).toBe(`s3://${BUCKET}/out/whole-path/model.json`);

  // Progress only moves forward: phases in the worker's order, the fraction never back, 1 at the end.
  expect(seen.length).toBeGreaterThanOrEqual(3);
  for (const progress of seen) {
    expect(PHASES).toContain(progress.phase);
    expect(progress.fraction).toBeGreaterThanOrEqual(0);
    expect(progress.fraction).toBeLessThanOrEqual(1);
  }
  for (let i = 1; i < seen.length; i++) {
    expect(PHASES.indexOf(seen[i]!.phase)).toBeGreaterThanOrEqual(PHASES.indexOf(seen[i - 1]!.phase));
    expect(seen[i]!.fraction).toBeGreaterThanOrEqual(seen[i - 1]!.fraction);
  }
  expect(seen.some((progress) => progress.fraction > 0 && progress.fraction < 1)).toBe(true);
  expect(seen.at(-1)).toMatchObject({ phase: 'save', fraction: 1 });

  // Every file through its presigned URL, over HTTP, as the result describes it.
  const download = await api.request<JobDownload>('GET', `/v1/jobs/${id}/download`);
  expect(download.status).toBe(200);
  expect(download.body.files.map(({ url: _, ...file }) => file)).toEqual(result.files);
  const fetched = new Map<string, Uint8Array>();
  for (const file of download.body.files) {
    const response = await fetch(file.url);
    expect(response.status).toBe(200);
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect(bytes.length).toBe(file.bytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);
    fetched.set(new URL(file.url).pathname, bytes);
  }

  // The report the API serves is the report.json beside the checkpoint, plus the time the save took.
  const served = await api.request<InitReport>('GET', `/v1/jobs/${id}/report`);
  expect(served.status).toBe(200);
  const reportFile = download.body.files.find((file) => file.uri.endsWith('/report.json'))!;
  const written = JSON.parse(new TextDecoder().decode(fetched.get(new URL(reportFile.url).pathname)));
  const { save, ...beforeSave } = served.body.timingsMs;
  expect(save).toEqual(expect.any(Number));
  expect(written).toEqual({ ...served.body, timingsMs: beforeSave });
  const report = served.body;
  expect(report.images).toEqual({ init: SAMPLE, heldOut: 0 });
  expect(report.options.beta).toBe(BETA);

  // tfjs loads the checkpoint from exactly the verified bytes: tf.io.http resolves the shards against
  // the model.json URL, and each request is answered from the download by its path.
  const modelJson = download.body.files.find((file) => file.uri === result.checkpoint)!;
  const served404 = new Set<string>();
  const model = await tf.loadLayersModel(
    tf.io.http(modelJson.url, {
      fetchFunc: async (input: string | URL | Request) => {
        const url = String(input);
        const bytes = fetched.get(new URL(url).pathname);
        if (!bytes) served404.add(url);
        const response = new Response(bytes ? Buffer.from(bytes) : null, { status: bytes ? 200 : 404 });
        // Parsed here, not by Response: tfjs-layers tests `instanceof Array`, which fails on arrays
        // made in Node's realm rather than jest's.
        return Object.assign(response, {
          json: async () => JSON.parse(new TextDecoder().decode(bytes)),
        });
      },
    }),
    { strict: true },
  );
  expect([...served404]).toEqual([]);

  // The engine's bars, on images the job never read: per-channel pre-activation std / s_k near 1 and
  // mean / s_k near β (median over channels), and change rates equal across layers.
  const heldOut = await readSample(
    fx.store,
    'heldout/',
    { shape: model.inputs[0]!.shape.slice(1) as number[] },
    {},
    { count: HELD_OUT, heldOut: 0, seed: 0 },
  );
  expect(heldOut.items.init).toHaveLength(HELD_OUT);
  const scaleOf = new Map(report.layers.map((layer) => [layer.name, layer.changeRate?.scale ?? 1]));
  const measured = preActivations(model, heldOut.init);
  expect(measured.map((layer) => layer.name)).toEqual(report.layers.map((layer) => layer.name));
  const deviations = measured.map((layer) => {
    const s = scaleOf.get(layer.name)!;
    return {
      layer: layer.name,
      std: median(layer.std.map((v) => Math.abs(v / s - 1))),
      mean: median(layer.mean.map((v) => Math.abs(v / s - BETA))),
    };
  });
  expect(deviations.filter(({ std, mean }) => !(std <= 0.15 && mean <= 0.15))).toEqual([]);
  const rates = referenceRates(model, tf.split(heldOut.init, 4));
  console.log(
    `whole path: held-out median |std/s-1|, |mean/s-β| ${JSON.stringify(deviations)}; ` +
      `change-rate spread ${spread(rates).toFixed(3)}; ` +
      `report ${report.changeRateSpread?.before.toFixed(2)} before, ${report.changeRateSpread?.after.toFixed(3)} after`,
  );
  expect(spread(rates)).toBeLessThanOrEqual(1.2);
  expect(report.changeRateSpread!.before).toBeGreaterThan(3);

  heldOut.init.dispose();
  model.dispose();
}, 120_000);
