import { isIP } from 'node:net';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { clientIdFor } from '../../lib/client-identity.js';
import type { Logger } from '../../lib/logger.js';
import { explainConnectFailure, type ConnectStage } from './connection-failure.js';
import type { ConnectionSettings } from './connection-settings.js';
import { ClientError } from './errors.js';

/** How long a polite DISCONNECT may take before the socket is simply closed, in ms. */
const DISCONNECT_GRACE_MS = 2000;

/** Keep-alive for the command line's connections, in seconds [MQTT-3.1.2-24]. */
const KEEPALIVE_SECONDS = 30;

/** MQTT.js options for one connection of the command line. */
export function mqttOptions(
  settings: ConnectionSettings,
  purpose: string,
  reconnectPeriodMs: number,
): IClientOptions {
  const { endpoint, tls, identity } = settings;
  const servername = settings.servername ?? (isIP(endpoint.host) ? undefined : endpoint.host);

  return {
    protocol: 'mqtts',
    host: endpoint.host,
    port: endpoint.port,
    ...(servername === undefined ? {} : { servername }),
    cert: tls.cert,
    key: tls.key,
    ca: tls.ca,
    rejectUnauthorized: true,
    protocolVersion: 4,
    // The broker accepts `<CN>:<anything>`, so two runs of one identity never collide.
    clientId: clientIdFor(identity.name, purpose),
    clean: true,
    keepalive: KEEPALIVE_SECONDS,
    reconnectPeriod: reconnectPeriodMs,
    // Our own deadline decides; MQTT.js's CONNACK timer only backs it up.
    connectTimeout: settings.timeoutMs + 5000,
    resubscribe: false,
  };
}

/** An open MQTT connection and the last error its socket reported. */
export interface BrokerConnection {
  client: MqttClient;
  settings: ConnectionSettings;
  lastError: () => Error | undefined;
  /** Sends DISCONNECT and closes; never rejects. */
  close: () => Promise<void>;
}

/** The first byte of a CONNACK, the first packet an MQTT server sends [MQTT-3.2.0-1]. */
const CONNACK_FIRST_BYTE = 0x20;

/**
 * Tracks how far a connection got, so a failure can be explained by its stage. A server whose
 * first bytes are not a CONNACK is not an MQTT broker: often the bridge's HTTPS port, which
 * answers a CONNECT with an HTTP error from a certificate of the same CA.
 */
function watchStage(client: MqttClient): () => ConnectStage {
  let stage: ConnectStage = 'tcp';
  const stream = client.stream;
  stream.once('connect', () => {
    stage = 'tls';
  });
  stream.once('secureConnect', () => {
    stage = 'mqtt';
  });
  stream.once('data', (chunk: Buffer) => {
    if (chunk[0] !== CONNACK_FIRST_BYTE) stage = 'not-mqtt';
  });
  return () => stage;
}

function closeClient(client: MqttClient): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => client.end(true, () => resolve()), DISCONNECT_GRACE_MS);
    client.end(false, () => {
      clearTimeout(force);
      resolve();
    });
  });
}

/**
 * Connects once (no retries) and resolves after the broker's CONNACK accepted us. Rejects with
 * a ClientError that names the cause: nothing listening, TLS failure with its reason,
 * refused certificate, refused CONNECT, or no answer before the deadline.
 */
export function openConnection(
  settings: ConnectionSettings,
  purpose: string,
  log: Logger,
): Promise<BrokerConnection> {
  const options = mqttOptions(settings, purpose, 0);
  const connectionLog = log.child({ clientId: options.clientId });
  const client = connect(options);
  const stage = watchStage(client);
  let lastError: Error | undefined;
  client.on('error', (error) => {
    connectionLog.debug({ err: error, stage: stage() }, 'connection error');
    lastError ??= error;
  });

  const connection: BrokerConnection = {
    client,
    settings,
    lastError: () => lastError,
    close: () => closeClient(client),
  };

  return new Promise((resolve, reject) => {
    const { address } = settings.endpoint;
    const fail = (error: ClientError) => {
      client.end(true);
      reject(error);
    };
    const onClose = () => {
      clearTimeout(timer);
      void explainConnectFailure(lastError, stage(), settings).then(fail, reject);
    };
    const timer = setTimeout(() => {
      client.removeListener('close', onClose);
      if (stage() === 'not-mqtt') {
        void explainConnectFailure(undefined, 'not-mqtt', settings).then(fail, reject);
        return;
      }
      const waiting = stage() === 'mqtt' ? 'CONNACK' : `the ${stage().toUpperCase()} handshake`;
      fail(
        new ClientError(
          'TIMEOUT',
          `timeout: no answer from ${address} within ${settings.timeoutMs / 1000} s ` +
            `(waiting for ${waiting})`,
          'is the broker overloaded, or is --url pointing at something else?',
        ),
      );
    }, settings.timeoutMs);

    client.once('close', onClose);
    client.once('connect', () => {
      clearTimeout(timer);
      client.removeListener('close', onClose);
      connectionLog.debug({ broker: address }, 'connected');
      resolve(connection);
    });
  });
}
