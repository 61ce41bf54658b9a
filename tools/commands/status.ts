import type { Command } from 'commander';
import {
  addConnectionOptions,
  commandLogger,
  connectionFlags,
  runAction,
} from '../client/command-support.js';
import { resolveConnection } from '../client/connection-settings.js';
import { UsageError } from '../client/errors.js';
import { renderTable } from '../client/status-view.js';
import type { WatchMode } from '../client/status-watch.js';

/**
 * How long the retained replay must stay quiet before it counts as complete, in ms; see
 * tools/client/status-snapshot.ts for why a quiet period is the signal.
 */
const DEFAULT_SETTLE_MS = 500;

/** The identity `piminder status` uses unless told otherwise. */
export const DEFAULT_STATUS_IDENTITY = 'monitor';

/** Longest `--settle`, in ms: beyond this the replay is not quiet but stuck. */
const MAX_SETTLE_MS = 60_000;

interface StatusOptions {
  json?: boolean;
  watch?: boolean;
  settle?: string;
}

/** `--settle` in ms: a whole number from 1 to MAX_SETTLE_MS. */
export function parseSettle(text: string | undefined): number {
  if (text === undefined) return DEFAULT_SETTLE_MS;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < 1 || value > MAX_SETTLE_MS) {
    throw new UsageError(`--settle must be a whole number of ms from 1 to ${MAX_SETTLE_MS}`);
  }
  return value;
}

function watchMode(json: boolean): WatchMode {
  if (json) return 'json';
  return process.stdout.isTTY ? 'redraw' : 'lines';
}

/** Resolves on SIGINT or SIGTERM, so a watch ends with a DISCONNECT and exit code 0. */
function stopSignal(): AbortSignal {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return controller.signal;
}

async function status(options: StatusOptions & Record<string, unknown>): Promise<void> {
  const settleMs = parseSettle(options.settle);
  const settings = resolveConnection(connectionFlags(options), {
    defaultIdentity: DEFAULT_STATUS_IDENTITY,
  });
  const log = commandLogger('piminder-status');

  // Loaded here, not at start-up: the MQTT client is needed by this command only.
  const { readStatuses } = await import('../client/status-snapshot.js');
  const { watchStatuses } = await import('../client/status-watch.js');

  if (options.watch === true) {
    await watchStatuses(
      settings,
      {
        mode: watchMode(options.json === true),
        settleMs,
        write: (text) => process.stdout.write(text),
        notice: (text) => console.error(`piminder status: ${text}`),
        signal: stopSignal(),
      },
      log,
    );
    return;
  }

  const table = await readStatuses(settings, settleMs, log);
  const statuses = table.list();
  if (options.json === true) process.stdout.write(`${JSON.stringify(statuses, null, 2)}\n`);
  else process.stdout.write(renderTable(statuses, new Date()));
}

export function register(program: Command): void {
  const command = program
    .command('status')
    .description(
      'Show the current statuses, most severe first (connects as a monitor; exit 1 when the ' +
        'broker cannot be read, 2 on wrong usage)',
    )
    .option('--json', 'print a JSON array of the stored statuses instead of a table')
    .option('--watch', 'keep running: redraw on change in a terminal, else one line per change')
    .option(
      '--settle <ms>',
      `the replay counts as complete after this long without a retained status ` +
        `(default: ${DEFAULT_SETTLE_MS})`,
    );
  addConnectionOptions(command, DEFAULT_STATUS_IDENTITY);

  command.action(async (options: StatusOptions & Record<string, unknown>) => {
    await runAction(command, () => status(options));
  });
}
