/**
 * The worker's limits reach the pipeline: through the processor's config (as the sandboxed child gets
 * it, a JSON round trip) a lowered limit fails the job for good with its code and writes nothing.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InitJobData } from '@ddinit/queue';
import { UnrecoverableError } from 'bullmq';
import { loadConfig } from './config.js';
import { type InitJobHandle, processInitJob } from './process-init-job.js';
import { processorConfigEnv, readProcessorConfig } from './processor-config.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));
let out: string;
beforeEach(async () => {
  out = await mkdtemp(path.join(tmpdir(), 'ddinit-worker-limits-'));
});
afterEach(() => rm(out, { recursive: true, force: true }));

function handle(): InitJobHandle {
  const data = InitJobData.parse({
    spec: {
      model: { uri: `file://${EXAMPLES}models/vgg-cifar/model.json` },
      dataset: { uri: `file://${EXAMPLES}images/`, sample: 16, heldOut: 8 },
      init: { batchSize: 8 },
      output: { uri: `file://${out}/ckpt/` },
    },
    tenant: 'test',
    submittedAt: new Date().toISOString(),
  });
  return { id: 'limits-1', data, attemptsStarted: 1, updateProgress: async () => {} };
}

/** The processor config the worker would hand its child for `env`. */
function processorConfig(env: Record<string, string>) {
  const config = loadConfig({ DDINIT_FILE_ROOT: '/', DDINIT_BACKEND: 'cpu', ...env });
  return readProcessorConfig(processorConfigEnv(config));
}

describe('worker limits', () => {
  it.each([
    [
      'DDINIT_MAX_PARAMETERS',
      '1000',
      /^model_too_large: .*over the limit of 1000 parameters \(maxParameters\)$/,
    ],
    [
      'DDINIT_MAX_MODEL_JSON_BYTES',
      '100',
      /^model_too_large: .*over the limit of 100 bytes \(maxModelJsonBytes\)$/,
    ],
    ['DDINIT_MAX_SAMPLE_IMAGES', '20', /^sample_too_large: the job asks for 24 samples/],
    [
      'DDINIT_MAX_PIXELS_PER_IMAGE',
      '2000',
      // The model's input is 32×32 = 1024 pixels, the example images 48×48 or larger.
      /^image_too_large: image file:.*\.jpg is \d+×\d+ = \d+ pixels, over the limit of 2000 pixels \(maxPixelsPerImage\)/,
    ],
  ])(
    '%s=%s fails the job for good, writing nothing',
    async (name, value, message) => {
      const failure = processInitJob(handle(), undefined, processorConfig({ [name]: value }));
      await expect(failure).rejects.toBeInstanceOf(UnrecoverableError);
      await expect(failure).rejects.toMatchObject({ message: expect.stringMatching(message) });
      expect(await readdir(out)).toEqual([]);
    },
    30_000,
  );
});
