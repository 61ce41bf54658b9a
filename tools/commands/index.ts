import type { Command } from 'commander';

type CommandModule = { register: (program: Command) => void };

/**
 * Every subcommand of `piminder`, in the order `--help` lists them. Each is loaded only when
 * it is needed, so that a `piminder publish` in a crontab does not load the broker, the
 * bridge and the monitor every time it starts.
 */
export const commands: Record<string, () => Promise<CommandModule>> = {
  start: () => import('./start.js'),
  broker: () => import('./broker.js'),
  bridge: () => import('./bridge.js'),
  monitor: () => import('./monitor.js'),
  certs: () => import('./certs.js'),
  users: () => import('./users.js'),
  publish: () => import('./publish.js'),
  status: () => import('./status.js'),
};

/** The modules to load for a command line: the one it names, or all of them for help. */
export async function commandsFor(argv: string[]): Promise<CommandModule[]> {
  const named = argv.find((word) => !word.startsWith('-'));
  const load = named !== undefined && named in commands ? [named] : Object.keys(commands);
  return Promise.all(load.map((name) => (commands[name] as () => Promise<CommandModule>)()));
}
