import type { Command } from 'commander';

/** Every subcommand of `piminder`, in the order `--help` lists them. */
export const commands: Array<(program: Command) => void> = [];
