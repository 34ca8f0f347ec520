/**
 * A worker SIGKILLed in each phase of a job (downloading, initializing, uploading), as its progress
 * shows it to the API, then a new worker taking the job over: the job completes once, on its second
 * attempt, with exactly one committed checkpoint whose files match their sizes and SHA-256, and the
 * killed attempt's folder deleted. S3 sits behind the fault proxy, whose slow bodies stretch the phase
 * under test long enough to be hit.
 */
import type { JobResult } from '@ddinit/contracts';
import type { FaultRule, S3FaultProxy } from '../../../packages/storage/src/testing/s3-fault-proxy.js';
import {
  addJob,
  childrenOf,
  committedShards,
  type Fixtures,
  finalState,
  isAlive,
  mismatchedFiles,
  recordProgress,
  setUpBehindFaultProxy,
  specFor,
  waitFor,
} from './testing/fixtures.js';

/** Killing, the lock running out (DDINIT_LOCK_MS=3000), the stall check and a second run. */
const BOUND = 90_000;
/** Enough between-layer rounds to keep the engine busy for seconds. */
const LONG_INIT = { batchSize: 8, between: 'iterative', iterations: 12, tolerance: 1e-6 } as const;
const ENGINE_PHASES = ['random', 'within', 'between', 'report'];

let fx: Fixtures;
let proxy: S3FaultProxy;
/** A worker process that reaches S3 through the proxy. */
const spawnBehindProxy = setUpBehindFaultProxy('phase-kill', (fixtures, faults) => {
  fx = fixtures;
  proxy = faults;
});

interface PhaseCase {
  name: string;
  /** Phases (as the job's progress names them) in which the worker is killed. */
  phases: string[];
  /** What slows the phase down, for the first worker only. */
  slow?: (name: string) => FaultRule;
  init?: typeof LONG_INIT;
  /** Holds once the killed attempt has got far enough (beyond entering the phase). */
  ready?: (name: string, jobId: string) => Promise<boolean>;
}

const cases: PhaseCase[] = [
  {
    name: 'downloading',
    phases: ['data'],
    slow: () => ({ method: 'GET', key: /^images\//, fault: { kind: 'slow', bytesPerSecond: 4000 } }),
    // Images are on their way, slowly.
    ready: async () => proxy.requests.some((r) => r.key.startsWith('images/') && r.fault === 'slow'),
  },
  { name: 'initializing', phases: ENGINE_PHASES, init: LONG_INIT },
  {
    name: 'uploading',
    phases: ['save'],
    // The shard goes at full speed, weights.safetensors after it crawls: the kill lands mid-upload,
    // with one file of the attempt already written.
    slow: (name) => ({
      method: 'PUT',
      key: new RegExp(`^out/${name}/attempts/.*safetensors$`),
      fault: { kind: 'slow', bytesPerSecond: 20_000 },
    }),
    ready: async (name, jobId) =>
      (await fx.store.stat(`out/${name}/attempts/${jobId}-1/group1-shard1of1.bin`)) !== undefined,
  },
];

it.each(cases)(
  'a worker killed while $name: the job completes once on retry, one checkpoint, the killed attempt cleaned',
  async ({ name, phases, slow, init, ready }) => {
    const out = `out/kill-${name}`;
    if (slow) proxy.add(slow(`kill-${name}`));
    const first = spawnBehindProxy();
    const job = await addJob(fx.queue, specFor(`kill-${name}`, init && { init }));
    const progress = recordProgress(fx.events, job.id!);

    await waitFor(
      `the job to enter ${phases.join('/')}`,
      async () =>
        progress.updates.some((update) => phases.includes(update.phase as string)) &&
        ((await ready?.(`kill-${name}`, job.id!)) ?? true),
      40_000,
    );
    const sandboxes = await childrenOf(first.child.pid!);
    first.child.kill('SIGKILL');
    await first.exited;
    await waitFor(
      'the sandboxed child to exit with its worker',
      () => sandboxes.every((pid) => !isAlive(pid)),
      5000,
    );
    // Killed before its commit: the first attempt never wrote model.json.
    expect(await committedShards(fx.store, out)).toBeUndefined();
    const killedAt = progress.updates.map((update) => update.phase as string);
    expect(phases).toContain(killedAt.at(-1));

    proxy.clear();
    const second = spawnBehindProxy();
    const done = await finalState(fx.queue, job.id!, 60_000);
    progress.stop();
    expect({ state: await done.getState(), reason: done.failedReason, log: second.log() }).toMatchObject({
      state: 'completed',
    });
    expect(done.attemptsStarted).toBe(2);

    const result = done.returnvalue as JobResult;
    expect(result.checkpoint).toBe(`s3://ddinit-worker-test/${out}/model.json`);
    expect(await mismatchedFiles(fx.store, result)).toEqual([]);
    expect(await committedShards(fx.store, out)).toEqual([`attempts/${job.id}-2/group1-shard1of1.bin`]);
    // Exactly the second attempt's files and the checkpoint's own: the first attempt's folder is gone.
    expect(await fx.store.list(out)).toEqual(
      [
        `${out}/attempts/${job.id}-2/group1-shard1of1.bin`,
        `${out}/attempts/${job.id}-2/weights.safetensors`,
        `${out}/model.json`,
        `${out}/report.html`,
        `${out}/report.json`,
      ].sort(),
    );
    second.child.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
  },
  BOUND,
);
