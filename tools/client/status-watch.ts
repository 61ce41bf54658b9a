import type { Logger } from '../../lib/logger.js';
import { ReplayTracker } from '../../lib/replay-tracker.js';
import type { Status } from '../../lib/status-payload.js';
import { StatusTable, type TableChange } from '../../lib/status-table.js';
import { statusTopic } from '../../lib/topics.js';
import { openConnection, type BrokerConnection } from './broker-connection.js';
import { certificateNoLongerValid, explainConnectFailure } from './connection-failure.js';
import type { ConnectionSettings } from './connection-settings.js';
import { ClientError } from './errors.js';
import { subscribeStatuses } from './status-snapshot.js';
import { renderChangeJson, renderChangeLine, renderTable } from './status-view.js';

/** Pause between reconnect attempts after the link to the broker is lost, in ms. */
export const RECONNECT_PERIOD_MS = 2000;

/** How often a terminal view is redrawn to keep the AGE column current, in ms. */
const REDRAW_INTERVAL_MS = 5000;

/** `redraw`: a terminal, redrawn on change; `lines`/`json`: one line per change. */
export type WatchMode = 'redraw' | 'lines' | 'json';

export interface WatchOptions {
  mode: WatchMode;
  settleMs: number;
  write: (text: string) => void;
  /** Link lost or restored, for modes that do not draw a header. */
  notice: (text: string) => void;
  /** Ends the watch (SIGINT, SIGTERM). */
  signal: AbortSignal;
}

const CLEAR_SCREEN = '\u001b[H\u001b[2J';

function sameStatus(change: TableChange): boolean {
  return (
    change.kind === 'set' &&
    change.previous !== undefined &&
    JSON.stringify(change.previous) === JSON.stringify(change.status)
  );
}

/** Draws the table or prints change lines, whichever the mode asks for. */
function createPrinter(table: StatusTable, options: WatchOptions) {
  let linkDownSince: Date | undefined;

  const redraw = () => {
    const now = new Date();
    const header = linkDownSince
      ? `piminder status: LINK DOWN since ${linkDownSince.toISOString()}, reconnecting`
      : `piminder status: live, ${now.toISOString()}`;
    options.write(`${CLEAR_SCREEN}${header}\n\n${renderTable(table.list(), now)}`);
  };

  const change = (event: TableChange) => {
    if (sameStatus(event)) return;
    switch (options.mode) {
      case 'redraw':
        return redraw();
      case 'lines':
        return options.write(`${renderChangeLine(event, new Date())}\n`);
      case 'json':
        return options.write(`${renderChangeJson(event)}\n`);
    }
  };

  const link = (up: boolean) => {
    if (up === (linkDownSince === undefined)) return;
    linkDownSince = up ? undefined : (linkDownSince ?? new Date());
    if (options.mode === 'redraw') redraw();
    else options.notice(up ? 'link to the broker restored' : 'link to the broker lost, retrying');
  };

  return { redraw, change, link };
}

/**
 * Subscribes and waits for the replay. After a reconnect the broker replays every retained
 * status; one not replayed was cleared while the link was down, so it is removed afterwards,
 * by the same mark and sweep as the monitor's and the bridge's.
 */
function synchronise(
  connection: BrokerConnection,
  table: StatusTable,
  settleMs: number,
): Promise<void> {
  const { client } = connection;

  return new Promise((resolve, reject) => {
    const replay = new ReplayTracker(settleMs, (missing) => {
      stopListening();
      for (const topic of missing) table.apply(topic, new Uint8Array(0));
      resolve();
    });
    const onMessage = (topic: string, _payload: Buffer, packet: { retain?: boolean }) =>
      replay.saw(topic, packet.retain === true);
    const fail = (error: unknown) => {
      replay.cancel();
      stopListening();
      reject(error);
    };
    const onClose = () =>
      fail(new ClientError('CONNECTION_LOST', 'the broker closed the connection during replay'));
    const stopListening = () => {
      client.removeListener('message', onMessage);
      client.removeListener('close', onClose);
    };

    replay.begin(table.topics());
    client.on('message', onMessage);
    client.once('close', onClose);
    subscribeStatuses(connection).then(() => replay.subscribed(), fail);
  });
}

type Printer = ReturnType<typeof createPrinter>;

/**
 * Follows the connection after the first replay: shows link loss and recovery, resynchronises
 * after every reconnect, and settles when the signal aborts or a refusal makes retrying futile.
 */
function follow(
  connection: BrokerConnection,
  table: StatusTable,
  printer: Printer,
  options: WatchOptions,
  log: Logger,
): Promise<void> {
  const { client, settings } = connection;
  const linkLog = log.child({ clientId: client.options.clientId });

  return new Promise((resolve, reject) => {
    const timer =
      options.mode === 'redraw' ? setInterval(printer.redraw, REDRAW_INTERVAL_MS) : undefined;
    const stop = (error?: Error) => {
      clearInterval(timer);
      options.signal.removeEventListener('abort', onAbort);
      void connection.close().then(() => (error ? reject(error) : resolve()));
    };
    const onAbort = () => stop();
    options.signal.addEventListener('abort', onAbort);

    client.options.reconnectPeriod = RECONNECT_PERIOD_MS;
    client.on('offline', () => {
      linkLog.info('link lost');
      printer.link(false);
    });
    // The broker drops a revoked client and refuses its handshakes from then on, without
    // saying why; retrying would show "link down" forever, so a certificate that has become
    // unusable ends the watch with the reason.
    client.on('close', () => {
      void certificateNoLongerValid(settings).then((error) => {
        if (error !== undefined) stop(error);
      }, stop);
    });
    client.on('connect', () => {
      linkLog.info('link restored');
      printer.link(true);
      synchronise(connection, table, options.settleMs).catch((error: unknown) => {
        // A refusal will not change by retrying; a lost link is retried by the reconnect.
        const refused = error instanceof ClientError && error.code.endsWith('SUBSCRIBE_REFUSED');
        if (refused) stop(error);
        else linkLog.debug({ err: error }, 'resubscribe interrupted');
      });
    });
    // A CONNACK refusal on reconnect (the certificate was revoked meanwhile) ends the watch:
    // MQTT.js stops retrying then, and a silent stale table would mislead.
    client.on('error', (error) => {
      if (typeof (error as { code?: unknown }).code === 'number') {
        void explainConnectFailure(error, 'mqtt', settings).then(stop, stop);
      }
    });
  });
}

/**
 * Keeps the status table live until the signal aborts: the first connection must succeed
 * (its failure is explained and thrown); afterwards a lost link is retried every
 * RECONNECT_PERIOD_MS and shown, never hidden behind the last known table.
 */
export async function watchStatuses(
  settings: ConnectionSettings,
  options: WatchOptions,
  log: Logger,
): Promise<void> {
  const table = new StatusTable(settings.prefix);
  table.on('ignored', (topic, reason) => log.warn({ topic, reason }, 'status ignored'));

  const connection = await openConnection(settings, 'watch', log);
  connection.client.on('message', (topic, payload) => table.apply(topic, payload));
  try {
    await synchronise(connection, table, options.settleMs);
  } catch (error) {
    await connection.close();
    throw error;
  }

  const printer = createPrinter(table, options);
  if (options.mode === 'redraw') printer.redraw();
  else for (const status of table.list()) printer.change(initialChange(settings, status));
  table.on('change', printer.change);

  await follow(connection, table, printer, options, log);
}

function initialChange(settings: ConnectionSettings, status: Status): TableChange {
  const topic = statusTopic(settings.prefix, status.service, status.check ?? undefined);
  return { kind: 'set', topic, status, previous: undefined };
}
