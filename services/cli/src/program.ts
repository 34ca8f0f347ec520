/** The `ddinit` command tree. Commander reports its errors through us: see `cli.ts`. */
import { Command } from 'commander';
import { addClientCommands } from './commands/client.js';
import { addInitCommand } from './commands/init.js';
import { addRoleCommands } from './commands/roles.js';
import type { Io } from './io.js';
import { VERSION } from './version.js';

export function buildProgram(io: Io): Command {
  const program = new Command('ddinit')
    .description(
      'Data-dependent initialization of neural networks (Krähenbühl et al., ICLR 2016) on TensorFlow.js.',
    )
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .helpCommand(false)
    .showSuggestionAfterError(true);
  const commands = [
    program,
    addInitCommand(program, io),
    ...addRoleCommands(program, io),
    ...addClientCommands(program, io),
  ];
  for (const command of commands) {
    command.exitOverride().configureOutput({
      writeOut: (text) => io.stdout.write(text),
      // Errors (and help shown for an error) become one line in `cli.ts`.
      writeErr: () => {},
      outputError: () => {},
    });
  }
  return program;
}
