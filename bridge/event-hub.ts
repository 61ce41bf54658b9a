import type { ServerResponse } from 'node:http';
import type { Logger } from '../lib/logger.js';
import type { Status } from '../lib/status-payload.js';
import type { StatusTable, TableChange } from '../lib/status-table.js';
import type { BrokerLink } from './broker-link.js';
import { HttpError } from './errors.js';

export interface EventHubSettings {
  link: BrokerLink;
  maxStreams: number;
  keepAliveMs: number;
  logger: Logger;
}

/** What the page and other listeners receive, one server-sent event each. */
export type StreamEvent =
  | { event: 'snapshot'; data: { statuses: Status[]; broker: boolean } }
  | { event: 'status'; data: { topic: string; status: Status } }
  | { event: 'clear'; data: { topic: string; service: string; check: string | null } }
  | { event: 'broker'; data: { connected: boolean } };

/** Client reconnect delay announced to EventSource, in ms. */
const RETRY_MS = 2_000;

/**
 * Bytes a stream may have waiting unsent. A client that falls this far behind is cut off
 * rather than buffered without bound; its EventSource reconnects and gets a fresh snapshot.
 */
const MAX_BACKLOG_BYTES = 1024 * 1024;

function frame(message: StreamEvent): string {
  return `event: ${message.event}\ndata: ${JSON.stringify(message.data)}\n\n`;
}

function fromChange(change: TableChange): StreamEvent {
  switch (change.kind) {
    case 'set':
      return { event: 'status', data: { topic: change.topic, status: change.status } };
    case 'delete': {
      const { service, check } = change.previous;
      return { event: 'clear', data: { topic: change.topic, service, check } };
    }
  }
}

/**
 * The live stream behind `GET /api/v1/events` (server-sent events): a snapshot first, then
 * every change of the table and of the broker connection.
 */
export class EventHub {
  readonly #settings: EventHubSettings;
  readonly #streams = new Set<ServerResponse>();
  readonly #table: StatusTable;
  readonly #timer: NodeJS.Timeout;

  constructor(settings: EventHubSettings) {
    this.#settings = settings;
    this.#table = settings.link.table;
    this.#table.on('change', (change) => this.#broadcast(frame(fromChange(change))));
    settings.link.on('synced', (connected) => {
      this.#broadcast(frame({ event: 'broker', data: { connected } }));
    });

    // A comment line now and then keeps proxies and NAT from dropping an idle stream.
    this.#timer = setInterval(() => this.#broadcast(': keep-alive\n\n'), settings.keepAliveMs);
    this.#timer.unref();
  }

  get size(): number {
    return this.#streams.size;
  }

  /** Takes over a response and keeps it open until the client leaves or the hub closes. */
  open(response: ServerResponse, caller: string): void {
    if (this.#streams.size >= this.#settings.maxStreams) {
      throw new HttpError('BUSY', 'too many open event streams', { hint: 'retry later' });
    }
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    const snapshot: StreamEvent = {
      event: 'snapshot',
      data: { statuses: this.#table.list(), broker: this.#settings.link.synced },
    };
    response.write(`retry: ${RETRY_MS}\n\n${frame(snapshot)}`);

    this.#streams.add(response);
    this.#settings.logger.debug({ caller, streams: this.#streams.size }, 'event stream opened');
    response.on('close', () => {
      this.#streams.delete(response);
      this.#settings.logger.debug({ caller }, 'event stream closed');
    });
  }

  #broadcast(text: string): void {
    for (const stream of this.#streams) {
      if (stream.writableLength > MAX_BACKLOG_BYTES) {
        this.#settings.logger.info({ backlog: stream.writableLength }, 'slow event stream cut off');
        this.#streams.delete(stream);
        stream.destroy();
        continue;
      }
      stream.write(text);
    }
  }

  /** Ends every stream, so that the server can close. */
  close(): void {
    clearInterval(this.#timer);
    for (const stream of this.#streams) stream.end();
    this.#streams.clear();
  }
}
