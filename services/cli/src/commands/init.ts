/**
 * `ddinit init`: check the options, find the inputs, pick the backend, run one initialization job with
 * progress on stderr, then print the summary (or the JSON result) on stdout.
 */

import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { aborted } from '@ddinit/core';
import { REPORT_HTML_FILE, runInitJob } from '@ddinit/pipeline';
import { FileStore } from '@ddinit/storage';
import { selectBackend } from '@ddinit/tf';
import type { Command } from 'commander';
import { EXIT_INTERRUPTED } from '../errors.js';
import type { Io } from '../io.js';
import { locateData, locateModel } from '../locations.js';
import { addInitOptions, type InitCliOptions, resolveInitOptions } from '../options.js';
import { OutputDir } from '../output-dir.js';
import { createProgress } from '../progress.js';
import { renderSummary } from '../summary.js';
import { VERSION } from '../version.js';

const EXAMPLES = `
Examples:
  $ ddinit init --model model.json --data images/ --out initialized/
  $ ddinit init --model model.json --data sample.npy --out out/ --random pca --between iterative --json
  $ ddinit init --model model.json --data images/ --out out/ --layers /^conv/ --exclude-layers fc8

Writes model.json with group1-shard*.bin, weights.safetensors, report.json and report.html into --out. On an error
nothing is written; exit status 2 for a bad option, 1 for any other failure.`;

export function addInitCommand(program: Command, io: Io): Command {
  const command = program
    .command('init')
    .description('initialize a TensorFlow.js layers model from a data sample and write the checkpoint')
    .addHelpText('after', EXAMPLES);
  addInitOptions(command);
  command.action(async (options: InitCliOptions, self: Command) => {
    await runInit(options, self.getOptionValueSource('backend') === 'cli', io);
  });
  return command;
}

export async function runInit(cli: InitCliOptions, backendGiven: boolean, io: Io): Promise<void> {
  // Options first: a bad value must fail before anything on disk is looked at.
  const {
    options,
    preprocessing,
    backend: preference,
    limits,
  } = resolveInitOptions(cli, backendGiven, io.env);
  const model = await locateModel(cli.model);
  const data = await locateData(cli.data);
  const output = await OutputDir.inspect(cli.out);
  const backend = await selectBackend(preference);

  const progress = createProgress({ stream: io.stderr, quiet: cli.quiet, json: cli.json });
  const controller = new AbortController();
  const interrupt = () => {
    // A second Ctrl-C does not wait for the engine to notice the first.
    if (controller.signal.aborted) process.exit(EXIT_INTERRUPTED);
    controller.abort(aborted());
  };
  process.on('SIGINT', interrupt);
  try {
    const { report, files } = await runInitJob({
      model,
      data: { ...data, preprocessing },
      output: { store: new FileStore(output.dir), prefix: '', overwrite: cli.overwrite },
      options,
      limits,
      backend,
      signal: controller.signal,
      onProgress: (p) => progress.update(p),
      ddinitVersion: VERSION,
    });
    progress.stop();
    if (cli.html) await copyFile(path.join(output.dir, REPORT_HTML_FILE), cli.html);
    io.stdout.write(
      cli.json
        ? `${JSON.stringify({ report, files }, null, 2)}\n`
        : renderSummary({ report, files, outDir: output.dir }),
    );
  } catch (error) {
    progress.stop();
    await output.cleanUp();
    throw error;
  } finally {
    process.off('SIGINT', interrupt);
  }
}
