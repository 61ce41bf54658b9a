import { Command, CommanderError } from 'commander';
import { isPiminderError } from '../lib/errors.js';
import { commandsFor } from './commands/index.js';

/**
 * The `piminder` command line. Each subcommand lives in tools/commands/ and registers itself
 * on the program; this file only wires them and turns errors into one line and an exit code.
 */
const program = new Command('piminder')
  .description('Self-hosted status alerts over MQTT with mutual TLS')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

for (const command of await commandsFor(process.argv.slice(2))) command.register(program);

/** Exit codes: 0 done, 1 refused or failed, 2 wrong usage. */
async function main(argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    if (isPiminderError(error)) {
      console.error(`piminder: ${error.toLine()}`);
      process.exitCode = 1;
      return;
    }
    console.error(`piminder: unexpected failure: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
  }
}

await main(process.argv);
