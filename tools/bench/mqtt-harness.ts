import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { clientIdFor } from '../../lib/client-identity.js';
import type { ClientTls } from './bench-pki.js';
import { BenchError } from './errors.js';

/** A broker on loopback, as the harness reaches it. */
export interface Endpoint {
  host: string;
  port: number;
}

/** How long one connect may take before the measurement fails, in ms. */
const CONNECT_TIMEOUT_MS = 15_000;

/** How long a polite DISCONNECT may take before the socket is simply closed, in ms. */
const DISCONNECT_GRACE_MS = 2_000;

/**
 * The one set of client options every broker gets: MQTT 3.1.1 (what Aedes speaks), mutual
 * TLS with the run's CA, a clean session, no reconnects. The client id follows Piminder's
 * rule (`<CN>:<suffix>`), which the other brokers accept as any other id.
 */
export function clientOptions(endpoint: Endpoint, tls: ClientTls, purpose: string): IClientOptions {
  return {
    protocol: 'mqtts',
    host: endpoint.host,
    port: endpoint.port,
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    rejectUnauthorized: true,
    protocolVersion: 4,
    clientId: clientIdFor(tls.name, purpose),
    clean: true,
    keepalive: 60,
    reconnectPeriod: 0,
    connectTimeout: CONNECT_TIMEOUT_MS,
    resubscribe: false,
  };
}

/** The last socket error of each connected client, for the message when it drops. */
const lastErrors = new WeakMap<MqttClient, Error>();

/** Why a connected client is gone: its last socket error, or a plain close. */
export function dropReason(client: MqttClient): string {
  return lastErrors.get(client)?.message ?? 'the broker closed the connection';
}

/** Resolves with the client once the broker's CONNACK accepted it. */
export function connectClient(
  endpoint: Endpoint,
  tls: ClientTls,
  purpose: string,
): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = connect(clientOptions(endpoint, tls, purpose));
    const fail = (reason: string) => {
      client.end(true);
      const where = `${endpoint.host}:${endpoint.port}`;
      reject(new BenchError('CONNECT', `${tls.name} could not connect to ${where}: ${reason}`));
    };
    const timer = setTimeout(() => fail('no CONNACK in time'), CONNECT_TIMEOUT_MS);
    client.once('connect', () => {
      clearTimeout(timer);
      client.removeAllListeners('error');
      client.removeAllListeners('close');
      // A later socket error ends the measurement through 'close'; keep it for the message.
      client.on('error', (error) => lastErrors.set(client, error));
      resolve(client);
    });
    client.once('error', (error) => {
      clearTimeout(timer);
      fail(error.message);
    });
    client.once('close', () => {
      clearTimeout(timer);
      fail('connection closed before CONNACK');
    });
  });
}

/** Sends DISCONNECT and waits for the close; never rejects. */
export function closeClient(client: MqttClient): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => client.end(true, () => resolve()), DISCONNECT_GRACE_MS);
    client.end(false, () => {
      clearTimeout(force);
      resolve();
    });
  });
}

/** A retained QoS 1 publish; resolves when its PUBACK arrives [MQTT-4.3.2-1]. */
export function publishRetained(client: MqttClient, topic: string, payload: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    client.publish(topic, payload, { qos: 1, retain: true }, (error) => {
      if (error) reject(new BenchError('PUBLISH', `publish to ${topic} failed: ${error.message}`));
      else resolve();
    });
  });
}
