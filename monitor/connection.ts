import { EventEmitter } from 'node:events';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { ClientTls } from '../lib/client-identity.js';
import type { Logger } from '../lib/logger.js';
import { backoffDelay } from './backoff.js';
import { MonitorError } from './errors.js';

export interface ConnectionOptions {
  url: string;
  tls: ClientTls;
  clientId: string;
  /** The one filter to subscribe to after every connect. */
  filter: string;
  keepaliveSeconds: number;
  reconnect: { minMs: number; maxMs: number };
  log: Logger;
}

/** Longest wait for CONNACK after the TCP/TLS connection, in milliseconds. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * With TLS 1.3 the client's side of the handshake is done before the broker checks the
 * client certificate, so a refused certificate shows only as the broker closing the
 * connection before CONNACK, without a TLS alert error on the client side.
 */
const CLOSED_BEFORE_CONNACK =
  'closed by the broker before CONNACK: it refused the client certificate ' +
  '(revoked, expired or from another CA) or the connection';

/** Longest wait for the broker to take a DISCONNECT when closing, in milliseconds. */
const CLOSE_TIMEOUT_MS = 2_000;

/**
 * One broker connection kept alive with backoff. Every attempt is a fresh clean session
 * [MQTT-3.1.2-6], so the broker replays retained statuses on each SUBSCRIBE [MQTT-3.3.1-6].
 * Emits `connected` at CONNACK, before the SUBSCRIBE goes out, `subscribed` once the filter
 * is granted, `message` for every status message with its retain flag, and `lost` when a
 * subscribed connection ends.
 */
export class BrokerConnection extends EventEmitter<{
  connected: [];
  subscribed: [];
  message: [topic: string, payload: Buffer, retained: boolean];
  lost: [reason: string];
}> {
  readonly #options: ConnectionOptions;
  readonly #log: Logger;
  #client: MqttClient | undefined;
  #retry: NodeJS.Timeout | undefined;
  #attempt = 0;
  #subscribed = false;
  #lastError: string | undefined;
  #connackSeen = false;
  #closed = false;

  constructor(options: ConnectionOptions) {
    super();
    this.#options = options;
    this.#log = options.log.child({ module: 'connection', clientId: options.clientId });
  }

  get subscribed(): boolean {
    return this.#subscribed;
  }

  start(): void {
    this.#connect();
  }

  /** Publishes at QoS 1; refuses at once when there is no live connection to publish on. */
  async publish(topic: string, payload: string, retain: boolean): Promise<void> {
    const client = this.#client;
    if (client === undefined || !client.connected) {
      throw new MonitorError(
        'NOT_CONNECTED',
        `cannot publish to ${topic}: not connected to the broker`,
        'press again once the link is back',
      );
    }
    await client.publishAsync(topic, payload, { qos: 1, retain });
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = undefined;
    if (client === undefined) return;

    client.removeAllListeners();
    client.on('error', () => undefined);
    const ended = client.endAsync(false);
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS).unref());
    await Promise.race([ended, deadline]);
    if (!client.disconnected) await client.endAsync(true);
  }

  #connect(): void {
    const { url, tls, clientId, keepaliveSeconds } = this.#options;
    const options: IClientOptions = {
      clientId,
      clean: true,
      keepalive: keepaliveSeconds,
      reconnectPeriod: 0,
      connectTimeout: CONNECT_TIMEOUT_MS,
      protocolVersion: 4,
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      rejectUnauthorized: true,
    };
    this.#lastError = undefined;
    this.#connackSeen = false;
    this.#log.debug({ url, attempt: this.#attempt }, 'connecting');

    const client = mqtt.connect(url, options);
    this.#client = client;
    client.on('connect', () => this.#onConnect(client));
    client.on('error', (error: Error & { code?: unknown }) => this.#onError(error));
    client.on('message', (topic, payload, packet) => {
      this.emit('message', topic, payload, packet.retain);
    });
    client.on('close', () => this.#onClose(client));
  }

  #onConnect(client: MqttClient): void {
    this.#connackSeen = true;
    this.#log.info({ url: this.#options.url }, 'connected');
    this.emit('connected');
    const filter = this.#options.filter;
    client.subscribe(filter, { qos: 1 }, (error, granted) => {
      if (this.#client !== client) return;

      const refused = error !== null || granted === undefined || granted[0]?.qos === 128;
      if (refused) {
        // [MQTT-3.9.3-2] 0x80 in SUBACK: the broker refused the filter for this identity.
        const reason = error?.message ?? 'SUBACK 0x80 (not authorised)';
        this.#log.error({ topic: filter, reason }, 'subscription refused');
        client.end(true);
        return;
      }
      this.#attempt = 0;
      this.#subscribed = true;
      this.#log.info({ topic: filter }, 'subscribed');
      this.emit('subscribed');
    });
  }

  #onError(error: Error & { code?: unknown }): void {
    const code = typeof error.code === 'string' ? error.code : undefined;
    const reason = code === undefined ? error.message : `${code}: ${error.message}`;
    if (reason === this.#lastError) return;
    this.#lastError = reason;
    this.#log.warn({ url: this.#options.url, reason }, 'broker connection failed');
  }

  #onClose(client: MqttClient): void {
    if (this.#client !== client) return;

    client.removeAllListeners();
    client.on('error', () => undefined);
    client.end(true);
    this.#client = undefined;
    if (!this.#connackSeen && this.#lastError === undefined) {
      this.#onError(new Error(CLOSED_BEFORE_CONNACK));
    }
    if (this.#subscribed) {
      this.#subscribed = false;
      const reason = this.#lastError ?? 'connection closed';
      this.#log.warn({ url: this.#options.url, reason }, 'broker connection lost');
      this.emit('lost', reason);
    }
    if (this.#closed) return;

    const { minMs, maxMs } = this.#options.reconnect;
    const delayMs = backoffDelay(this.#attempt, minMs, maxMs);
    this.#attempt += 1;
    this.#log.info({ attempt: this.#attempt, delayMs }, 'reconnect scheduled');
    this.#retry = setTimeout(() => this.#connect(), delayMs);
  }
}
