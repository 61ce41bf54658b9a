import { Command, CommanderError } from 'commander';
import { isPiminderError } from '../lib/errors.js';
import { commandsFor } from './commands/index.js';

/** A usage error as one line; a value split at its spaces gets the hint to quote it. */
function usageLine(text: string): string {
  const line = text.trimEnd();
  if (/too many arguments/.test(line)) {
    return `${line} Quote a value that has spaces, e.g. --message "backup failed" (see --help)`;
  }
  return `${line} (see --help)`;
}

/**
 * The `piminder` command line. Each subcommand lives in tools/commands/ and registers itself
 * on the program; this file only wires them and turns errors into one line and an exit code.
 */
const program = new Command('piminder')
  .description('Self-hosted status alerts over MQTT with mutual TLS')
  .version('0.1.0')
  // Usage errors stay one line, as every other error: the pointer to --help goes on its end.
  .configureOutput({ outputError: (text, write) => write(`${usageLine(text)}\n`) })
  .exitOverride();

for (const command of await commandsFor(process.argv.slice(2))) command.register(program);

/** What a file system error that no command explained says, in one line; else undefined. */
function fileSystemFailure(error: unknown): string | undefined {
  const { code, path, syscall } = error as NodeJS.ErrnoException;
  if (typeof path !== 'string' || typeof code !== 'string') return undefined;
  const reasons: Record<string, string> = {
    EACCES: 'permission denied (run as the user that owns it)',
    EPERM: 'operation not permitted (run as the user that owns it)',
    EROFS: 'the file system is read-only',
    ENOSPC: 'no space left on the device',
    ENOENT: 'no such file or folder',
    EISDIR: 'it is a folder, not a file',
  };
  const reason = reasons[code];
  return reason === undefined ? undefined : `cannot ${syscall ?? 'use'} ${path}: ${reason}`;
}

/**
 * Exit codes: 0 done, 1 refused or failed, 2 wrong usage. A failed command exits at once: a
 * part that could not start may still hold a reconnecting client or a timer, and a process
 * that lingers after its error line would look alive to systemd and to a shell.
 */
async function main(argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return;
      process.exit(2);
    }
    if (isPiminderError(error)) {
      console.error(`piminder: ${error.toLine()}`);
      process.exit(1);
    }
    const fileProblem = fileSystemFailure(error);
    if (fileProblem !== undefined) {
      console.error(`piminder: ${fileProblem}`);
      process.exit(1);
    }
    console.error(`piminder: unexpected failure: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  }
}

await main(process.argv);
