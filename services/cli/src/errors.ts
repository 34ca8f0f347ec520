/**
 * How the CLI reports a failure: one line on stderr (`ddinit: error [code]: message`), the stack only
 * with `DDINIT_DEBUG=1`, and an exit code: 2 for usage and option errors, 130 for an interrupted run,
 * 1 for everything else.
 */
import { defineError, isDdinitError } from '@ddinit/contracts';
import { CommanderError } from 'commander';

/** A command line commander refused (unknown option, bad choice, missing value, …). */
export const usageError = defineError('usage', (message: string) => message);
/** The same code as core's option errors: the option is wrong, whichever layer noticed. */
export const optionInvalid = defineError(
  'options_invalid',
  (problem: string) => `invalid options: ${problem}`,
);
/** `$DDINIT_BACKEND` names no backend; the code is the one `selectBackend` uses. */
export const backendEnvUnknown = defineError(
  'backend_unknown',
  (variable: string, value: string, known: readonly string[]) =>
    `${variable}=${JSON.stringify(value)} is not a TensorFlow.js backend; expected one of ${known.join(', ')}`,
);
export const outputNotFolder = defineError(
  'output_not_folder',
  (path: string) => `the output ${path} exists and is not a folder`,
);

/** Error codes that mean "the command line is wrong": exit status 2. */
const USAGE_CODES = new Set(['usage', 'options_invalid', 'preprocessing_invalid', 'backend_unknown']);

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** Commander's own ends that are not failures: `--help` and `--version` printed what was asked. */
export function isCleanCommanderExit(error: unknown): boolean {
  return (
    error instanceof CommanderError &&
    (error.code === 'commander.helpDisplayed' || error.code === 'commander.version')
  );
}

/** Turns commander's errors into usage errors with its message, minus its `error: ` prefix. */
export function fromCommander(error: CommanderError): Error {
  if (error.code === 'commander.help') return usageError("missing command: try 'ddinit --help'");
  return usageError(error.message.replace(/^error:\s*/i, ''));
}

export function exitCodeFor(error: unknown): number {
  if (isDdinitError(error)) {
    if (error.code === 'aborted') return EXIT_INTERRUPTED;
    if (USAGE_CODES.has(error.code)) return EXIT_USAGE;
  }
  return EXIT_FAILURE;
}

/** The single line that describes `error`, without a trailing newline. */
export function errorLine(error: unknown): string {
  const message = oneLine(error instanceof Error ? error.message : String(error));
  return isDdinitError(error) ? `ddinit: error [${error.code}]: ${message}` : `ddinit: error: ${message}`;
}

/** Writes the error line (and, when debugging, the stack) and returns the exit code to use. */
export function reportError(
  error: unknown,
  stderr: NodeJS.WritableStream,
  env: NodeJS.ProcessEnv = process.env,
): number {
  stderr.write(`${errorLine(error)}\n`);
  if (isDebug(env) && error instanceof Error && error.stack) stderr.write(`${error.stack}\n`);
  return exitCodeFor(error);
}

function isDebug(env: NodeJS.ProcessEnv): boolean {
  const value = env.DDINIT_DEBUG?.trim().toLowerCase();
  return value !== undefined && value !== '' && value !== '0' && value !== 'false';
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
