/**
 * The short soak: the built soak driver (`npm run soak` runs the same file with 1,000 jobs) with 40
 * jobs through 2 worker processes, a worker SIGKILLed every 4 to 12 s and a fifth of the jobs
 * cancelled, on the local Redis under a prefix of the run's own. The driver follows every job to its
 * end and measures; this test holds its figures to the guarantees of docs/RELIABILITY.md.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { SoakSummary } from './soak/soak-summary.js';
import { REPO } from './testing/cli.js';

const DRIVER = path.join(REPO, 'services/cli/dist/soak/main.js');
const RUN_LIMIT_MS = 230_000;
let dir: string;

beforeAll(async () => {
  if (!existsSync(DRIVER)) throw new Error(`${DRIVER} is missing: build first (npx tsc -b)`);
  dir = await mkdtemp(path.join(tmpdir(), 'ddinit-soak-test-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function runDriver(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DRIVER, ...args], {
      cwd: REPO,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    // SIGTERM first: the driver's cleanup (workers, Redis keys, temporary files) runs on its way out.
    const timer = setTimeout(() => child.kill('SIGTERM'), RUN_LIMIT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

test('40 jobs with worker kills and cancels: all final, checkpoints sound, none completed twice, Redis back to baseline', async () => {
  const summaryFile = path.join(dir, 'summary.json');
  const { code, stderr } = await runDriver([
    '--jobs',
    '40',
    '--workers',
    '2',
    '--cancel-rate',
    '0.3',
    // Within a job's life even on a fast machine, where one takes under a second from submission.
    '--cancel-within',
    '400',
    '--kill-interval',
    '8',
    '--seed',
    '7',
    '--retention',
    '2',
    '--record-ttl',
    '60',
    '--timeout',
    '150',
    '--summary',
    summaryFile,
  ]);
  if (code !== 0) throw new Error(`the soak driver exited ${code}:\n${stderr}`);
  const summary = JSON.parse(await readFile(summaryFile, 'utf8')) as SoakSummary;

  for (const [name, check] of Object.entries(summary.checks))
    expect({ name, ...check }).toMatchObject({ ok: true });
  expect(summary.ok).toBe(true);
  const { succeeded = 0, failed = 0, cancelled = 0 } = summary.statuses;
  expect(succeeded + failed + cancelled).toBe(40);
  expect(succeeded).toBeGreaterThan(20);
  // The faults happened: workers were killed and replaced, and cancels were asked for.
  expect(summary.workers.killed).toBeGreaterThanOrEqual(1);
  expect(summary.workers.started).toBe(2 + summary.workers.killed);
  expect(summary.cancels.requested).toBeGreaterThanOrEqual(3);
  expect(cancelled).toBeGreaterThanOrEqual(1);
  // Retention: nothing of any job is left under the prefix, and the driver removed the prefix itself.
  expect(summary.redis.after.jobKeys).toBe(0);
  expect(summary.redis.baseline.jobKeys).toBe(0);
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  try {
    const prefix = /queue prefix (ddinit-soak-\d+-\d+)/.exec(stderr)?.[1];
    expect(prefix).toBeDefined();
    expect(await redis.keys(`${prefix}:*`)).toEqual([]);
  } finally {
    await redis.quit();
  }
}, 240_000);
