import { EventEmitter } from 'node:events';
import mqtt, { type MqttClient } from 'mqtt';
import { clientIdFor, type ClientTls } from '../lib/client-identity.js';
import { ReplayTracker } from '../lib/replay-tracker.js';
import type { Logger } from '../lib/logger.js';
import { StatusTable, type TableChange } from '../lib/status-table.js';
import { allStatusFilter } from '../lib/topics.js';
import { HttpError } from './errors.js';

export interface BrokerLinkOptions {
  url: string;
  identity: string;
  tls: ClientTls;
  prefix: string;
  publishTimeoutMs: number;
  logger: Logger;
}

/** Pause between reconnect attempts, in ms. */
const RECONNECT_MS = 1_000;

/** Quiet time after SUBACK that ends the retained replay, in ms (MQTT marks no end). */
const REPLAY_SETTLE_MS = 750;

/**
 * The bridge's one MQTT connection. It keeps the table of current statuses from
 * `<prefix>/status/#` (retained on subscribe, then live) and publishes on behalf of HTTP
 * callers with QoS 1, so a 200 means the broker acknowledged and stored the message.
 */
export class BrokerLink extends EventEmitter<{ synced: [boolean] }> {
  readonly table: StatusTable;
  readonly #options: BrokerLinkOptions;
  readonly #log: Logger;
  #client: MqttClient | undefined;
  #synced = false;
  readonly #replay = new ReplayTracker(REPLAY_SETTLE_MS, (missing) => {
    for (const topic of missing) this.table.apply(topic, new Uint8Array(0));
  });

  constructor(options: BrokerLinkOptions) {
    super();
    this.#options = options;
    this.table = new StatusTable(options.prefix);
    // Every request in flight waits on the table for its echo: many listeners are normal.
    this.table.setMaxListeners(0);
    this.#log = options.logger.child({ module: 'broker-link', broker: options.url });
    this.table.on('ignored', (topic, reason) => {
      this.#log.warn({ topic, reason }, 'status ignored');
    });
  }

  /** Connected and subscribed: the table follows the broker. */
  get synced(): boolean {
    return this.#synced;
  }

  start(): void {
    const { url, identity, tls } = this.#options;
    const clientId = clientIdFor(identity, 'http');
    const client = mqtt.connect(url, {
      clientId,
      ...tls,
      rejectUnauthorized: true,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: RECONNECT_MS,
      connectTimeout: 10_000,
    });
    this.#client = client;
    const log = this.#log.child({ clientId });

    // While the broker stays away every retry fails the same way: say so once, then at debug.
    let quiet = false;
    client.on('connect', () => {
      quiet = false;
      log.info('connected to broker');
      this.#replay.begin(this.table.topics());
      this.#subscribe(client, log);
    });
    client.on('message', (topic, payload, packet) => {
      this.table.apply(topic, payload);
      this.#replay.saw(topic, packet.retain);
    });
    client.on('close', () => {
      this.#replay.cancel();
      this.#setSynced(false);
    });
    client.on('error', (error) => {
      if (quiet) log.debug({ err: error.message }, 'broker connection error');
      else log.warn({ err: error.message }, 'broker connection error, retrying every second');
      quiet = true;
    });
    client.on('offline', () => {
      if (!quiet) log.warn('broker unreachable, retrying every second');
      quiet = true;
    });
  }

  #subscribe(client: MqttClient, log: Logger): void {
    // A clean session starts without subscriptions [MQTT-3.1.2-6]; the retained messages sent
    // on subscribe [MQTT-3.3.1-6] rebuild the table, and only once they are all in are the
    // statuses cleared meanwhile dropped, so the page and the event stream never see a status
    // vanish and come back.
    const filter = allStatusFilter(this.#options.prefix);
    client.subscribe(filter, { qos: 1 }, (error, granted) => {
      const refused = granted?.some((grant) => grant.qos === 128) ?? false;
      if (error !== null && error !== undefined) {
        log.error({ filter, err: error.message }, 'subscription failed');
        return;
      }
      if (refused) {
        log.error({ filter }, 'subscription refused by broker');
        return;
      }
      this.#replay.subscribed();
      this.#setSynced(true);
    });
  }

  #setSynced(synced: boolean): void {
    if (this.#synced === synced) return;
    this.#synced = synced;
    this.emit('synced', synced);
  }

  /** Publishes with QoS 1 and resolves on PUBACK; refuses at once while disconnected. */
  async publish(topic: string, payload: string, retain: boolean): Promise<void> {
    const client = this.#client;
    if (client === undefined || !client.connected) {
      throw new HttpError('BROKER_UNAVAILABLE', 'the bridge is not connected to the broker', {
        hint: 'retry shortly; GET /healthz shows the connection',
      });
    }

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new HttpError('BROKER_TIMEOUT', 'the broker did not confirm the message in time', {
            hint: 'it may still be stored; check before sending it again',
          }),
        );
      }, this.#options.publishTimeoutMs);
    });
    try {
      await Promise.race([client.publishAsync(topic, payload, { qos: 1, retain }), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Resolves with the first table change on `topic` that `wanted` accepts, or undefined after
   * `timeoutMs`. Register before publishing, so the broker's echo cannot be missed.
   */
  awaitChange(
    topic: string,
    wanted: (change: TableChange) => boolean,
    timeoutMs: number,
  ): { done: Promise<TableChange | undefined>; cancel: () => void } {
    let finish: (change: TableChange | undefined) => void = () => undefined;
    const done = new Promise<TableChange | undefined>((resolve) => {
      finish = resolve;
    });
    const listener = (change: TableChange): void => {
      if (change.topic === topic && wanted(change)) stop(change);
    };
    const timer = setTimeout(() => stop(undefined), timeoutMs);
    const stop = (change: TableChange | undefined): void => {
      clearTimeout(timer);
      this.table.off('change', listener);
      finish(change);
    };
    this.table.on('change', listener);
    return { done, cancel: () => stop(undefined) };
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    this.#replay.cancel();
    this.#setSynced(false);
    // Forced: a connect still under way must not outlive a bridge that is closing.
    if (client !== undefined) await client.endAsync(true);
  }
}
