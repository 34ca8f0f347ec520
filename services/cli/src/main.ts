#!/usr/bin/env node
/** The `ddinit` executable. */
import { run } from './cli.js';
import { processIo } from './io.js';

// A reader that goes away (`ddinit … | head`) is not an error of ours.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

const code = await run(process.argv, processIo());
// Exit once the output is flushed rather than when the event loop drains: a backend may keep worker
// threads (wasm pthreads, native thread pools) alive after the work is done.
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);

function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) resolve();
    else stream.write('', () => resolve());
  });
}
