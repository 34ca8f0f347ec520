/**
 * Worker processes against S3 behind a fault-injecting proxy (real sockets, real SDK retries, the
 * sandboxed processor on wasm), and against their own time limit. Transient faults must be retried to
 * a checkpoint whose files match their reported sizes and SHA-256; persistent ones must end `failed`
 * with a stable code and no model.json.
 */
import type { JobResult } from '@ddinit/contracts';
import type { S3FaultProxy } from '../../../packages/storage/src/testing/s3-fault-proxy.js';
import {
  addJob,
  childrenOf,
  committedShards,
  type Fixtures,
  finalState,
  isAlive,
  mismatchedFiles,
  setUpBehindFaultProxy,
  specFor,
  waitFor,
} from './testing/fixtures.js';

const BOUND = 60_000;
/** Quick job-level retries, so persistent faults run out of them within a test's bound. */
const TWO_TRIES = { attempts: 2, backoff: { type: 'fixed', delay: 300 } } as const;

let fx: Fixtures;
let proxy: S3FaultProxy;
/** A worker process that reaches S3 through the proxy. */
const spawnBehindProxy = setUpBehindFaultProxy('faults', (fixtures, faults) => {
  fx = fixtures;
  proxy = faults;
});

/** Requests the proxy saw for keys under `prefix`, as `METHOD key fault`. */
const seen = (prefix: string) =>
  proxy.requests.filter((r) => r.key.startsWith(prefix)).map((r) => `${r.method} ${r.key} ${r.fault ?? '-'}`);

it(
  'retries transient faults in every phase within one attempt, committing files that match their sha256',
  async () => {
    const rules = [
      proxy.add({
        method: 'GET',
        key: /^models\/vgg-cifar\/model\.json$/,
        fault: { kind: 'status', status: 503 },
        times: 2,
      }),
      proxy.add({ method: 'HEAD', key: /^models\//, fault: { kind: 'status', status: 500 }, times: 1 }),
      proxy.add({ method: 'GET', key: /^images\//, fault: { kind: 'truncate' }, times: 2 }),
      proxy.add({ method: 'GET', key: /^images\//, fault: { kind: 'reset', at: 'body' }, times: 1 }),
      proxy.add({
        method: 'PUT',
        key: /^out\/transient\/attempts\/.*shard/,
        fault: { kind: 'reset', at: 'before' },
        times: 1,
      }),
      proxy.add({
        method: 'PUT',
        key: /safetensors$/,
        fault: { kind: 'corrupt', body: 'request' },
        times: 1,
      }),
      proxy.add({
        method: 'PUT',
        key: /^out\/transient\/model\.json$/,
        fault: { kind: 'status', status: 500 },
        times: 1,
      }),
    ];
    spawnBehindProxy();
    const job = await addJob(fx.queue, specFor('transient'));
    const done = await finalState(fx.queue, job.id!);
    expect({ state: await done.getState(), reason: done.failedReason }).toEqual({
      state: 'completed',
      reason: undefined,
    });
    expect(rules.map((rule) => rule.hits)).toEqual([2, 1, 2, 1, 1, 1, 1]);
    // No job-level retry was needed: the storage layer absorbed every fault.
    expect(done.attemptsStarted).toBe(1);

    const result = done.returnvalue as JobResult;
    expect(await mismatchedFiles(fx.store, result)).toEqual([]);
    expect(await committedShards(fx.store, 'out/transient')).toEqual([
      `attempts/${job.id}-1/group1-shard1of1.bin`,
    ]);
    // The corrupted upload was written again after its read-back showed the flipped byte.
    expect(
      seen('out/transient/attempts/').filter(
        (line) => line.startsWith('PUT') && line.includes('safetensors'),
      ),
    ).toEqual([
      `PUT out/transient/attempts/${job.id}-1/weights.safetensors corrupt`,
      `PUT out/transient/attempts/${job.id}-1/weights.safetensors -`,
    ]);
  },
  BOUND,
);

it(
  'fails with storage_unavailable when uploads keep answering 503, after S3_MAX_ATTEMPTS tries per request and the job retries, committing nothing',
  async () => {
    proxy.add({ method: 'PUT', key: /^out\/down\//, fault: { kind: 'status', status: 503 } });
    spawnBehindProxy({ S3_MAX_ATTEMPTS: '2' });
    const job = await addJob(fx.queue, specFor('down'), TWO_TRIES);
    const done = await finalState(fx.queue, job.id!);
    expect(await done.getState()).toBe('failed');
    expect(done.failedReason).toBe(
      `storage_unavailable: S3 PutObject s3://ddinit-worker-test/out/down/attempts/${job.id}-2/group1-shard1of1.bin ` +
        'failed (HTTP 503): ServiceUnavailable: Please reduce your request rate.',
    );
    expect(done.attemptsMade).toBe(2);
    // Two job attempts, each sending its first upload twice (S3_MAX_ATTEMPTS=2), then giving up.
    expect(seen('out/down/').filter((line) => line.startsWith('PUT'))).toHaveLength(4);
    expect(await fx.store.list('out/down')).toEqual([]);
  },
  BOUND,
);

it(
  'fails with storage_write_unverified when an upload keeps reading back altered, never writing model.json',
  async () => {
    proxy.add({
      method: 'PUT',
      key: /^out\/corrupt\/.*safetensors$/,
      fault: { kind: 'corrupt', body: 'request' },
    });
    spawnBehindProxy();
    const job = await addJob(fx.queue, specFor('corrupt'), TWO_TRIES);
    const done = await finalState(fx.queue, job.id!);
    expect(await done.getState()).toBe('failed');
    expect(done.failedReason).toMatch(
      new RegExp(
        `^storage_write_unverified: s3://ddinit-worker-test/out/corrupt/attempts/${job.id}-2/weights\\.safetensors ` +
          'does not read back as written: \\d+ bytes with SHA-256 [0-9a-f]{64} read back, not the \\d+ bytes',
      ),
    );
    expect(done.attemptsMade).toBe(2);
    expect(await committedShards(fx.store, 'out/corrupt')).toBeUndefined();
    // Each attempt's shard was written and verified; its altered safetensors file was deleted.
    expect(await fx.store.list('out/corrupt')).toEqual([
      `out/corrupt/attempts/${job.id}-1/group1-shard1of1.bin`,
      `out/corrupt/attempts/${job.id}-2/group1-shard1of1.bin`,
    ]);
  },
  BOUND,
);

it(
  'fails a job past DDINIT_JOB_TIMEOUT_S with timeout: no retry, its sandbox child gone, nothing committed',
  async () => {
    const worker = spawnBehindProxy({ DDINIT_JOB_TIMEOUT_S: '1' });
    // Slow image downloads keep the job busy well past its second.
    proxy.add({ method: 'GET', key: /^images\//, fault: { kind: 'slow', bytesPerSecond: 2000 } });
    const job = await addJob(fx.queue, specFor('timeout'));
    let sandboxes: number[] = [];
    await waitFor('the sandboxed child to start the job', async () => {
      sandboxes = await childrenOf(worker.child.pid!);
      return sandboxes.length > 0 && (await job.getState()) === 'active';
    });
    const done = await finalState(fx.queue, job.id!);
    expect(done.failedReason).toBe('timeout: the job ran longer than 1 s (DDINIT_JOB_TIMEOUT_S)');
    expect(done.attemptsMade).toBe(1);
    await waitFor('the sandboxed child to exit', () => sandboxes.every((pid) => !isAlive(pid)), 5000);
    expect(await fx.store.list('out/timeout')).toEqual([]);
    // The worker itself goes on: it shuts down cleanly on request.
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
  },
  BOUND,
);
