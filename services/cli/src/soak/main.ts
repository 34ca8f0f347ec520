#!/usr/bin/env node
/**
 * `npm run soak -- [--jobs 1000] [--workers 2] [--cancel-rate 0.1] [--kill-interval 20] [--seed 1] …`:
 * progress on stderr, the summary as JSON on stdout (and in `--summary <file>`); exits 1 when a check
 * failed. See docs/RELIABILITY.md for what it checks.
 */
import { writeFile } from 'node:fs/promises';
import { parseSoakOptions } from './options.js';
import { runSoak } from './run-soak.js';

const log = (line: string) => process.stderr.write(`soak: ${line}\n`);
const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping and cleaning up`);
    stop.abort();
  });
}
try {
  const options = parseSoakOptions(process.argv.slice(2), process.env);
  const summary = await runSoak(options, log, stop.signal);
  const json = JSON.stringify(summary, null, 2);
  if (options.summaryFile) await writeFile(options.summaryFile, `${json}\n`);
  process.stdout.write(`${json}\n`);
  for (const [name, check] of Object.entries(summary.checks)) {
    log(`${check.ok ? 'ok  ' : 'FAIL'} ${name}: ${check.detail}`);
  }
  process.exitCode = summary.ok ? 0 : 1;
} catch (error) {
  log(`stopped: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 2;
}
// The tfjs backends may keep threads alive after the work is done.
process.stdout.write('', () => process.exit());
