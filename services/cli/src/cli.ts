/** Runs one command line and returns the exit status; every error ends here as one line on stderr. */
import { CommanderError } from 'commander';
import { EXIT_OK, fromCommander, isCleanCommanderExit, reportError } from './errors.js';
import type { Io } from './io.js';
import { buildProgram } from './program.js';

export async function run(argv: readonly string[], io: Io): Promise<number> {
  try {
    await buildProgram(io).parseAsync([...argv]);
    return EXIT_OK;
  } catch (error) {
    if (isCleanCommanderExit(error)) return EXIT_OK;
    return reportError(error instanceof CommanderError ? fromCommander(error) : error, io.stderr, io.env);
  }
}
