import type { ISubscriptionGrant } from 'mqtt';
import type { Logger } from '../../lib/logger.js';
import { StatusTable } from '../../lib/status-table.js';
import { allStatusFilter } from '../../lib/topics.js';
import { openConnection, type BrokerConnection } from './broker-connection.js';
import type { ConnectionSettings } from './connection-settings.js';
import { ClientError } from './errors.js';

/*
 * When is the replay complete? MQTT 3.1.1 marks no end of it: the broker sends SUBACK, then
 * the retained messages with the RETAIN flag set [MQTT-3.3.1-8]. Live updates carry no RETAIN
 * flag [MQTT-3.3.1-9], so only retained messages restart the quiet period (`settleMs`, the
 * `--settle` option of `piminder status`).
 */

/** The SUBACK return code for a refused subscription [MQTT-3.9.3-2]. */
const SUBACK_FAILURE = 128;

function subscriptionRefused(settings: ConnectionSettings, filter: string): ClientError {
  const { identity } = settings;
  return new ClientError(
    'SUBSCRIBE_REFUSED',
    `the broker refused the subscription to ${filter} for ${identity.name} ` +
      `(role ${identity.role ?? 'unknown'}); only monitor, bridge and admin may read statuses`,
    'use a monitor certificate: --identity monitor',
  );
}

/**
 * Subscribes to every status and resolves after SUBACK. Our broker refuses with return code
 * 128; Aedes closes the connection instead when its authorisation hook fails, which cannot be
 * told apart from a broker that stopped, so a close is reported as such.
 */
export function subscribeStatuses(connection: BrokerConnection): Promise<void> {
  const { client, settings } = connection;
  const filter = allStatusFilter(settings.prefix);

  return new Promise((resolve, reject) => {
    const settle = (error?: ClientError) => {
      clearTimeout(timer);
      client.removeListener('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onClose = () => {
      const message = `the broker closed the connection instead of answering SUBSCRIBE ${filter}`;
      settle(new ClientError('CONNECTION_LOST', message, 'it refused the subscription or stopped'));
    };
    const timer = setTimeout(
      () => settle(new ClientError('TIMEOUT', `timeout: no SUBACK for ${filter}`)),
      settings.timeoutMs,
    );

    client.once('close', onClose);
    client.subscribe(filter, { qos: 1 }, (error, granted?: ISubscriptionGrant[]) => {
      // MQTT.js reports a SUBACK failure code as an error of its own wording.
      if (error?.message.startsWith('Subscribe error')) {
        return settle(subscriptionRefused(settings, filter));
      }
      if (error) {
        return settle(new ClientError('CONNECTION_LOST', `SUBSCRIBE failed: ${error.message}`));
      }
      if (granted?.some((grant) => grant.qos === SUBACK_FAILURE)) {
        return settle(subscriptionRefused(settings, filter));
      }
      settle();
    });
  });
}

/**
 * Resolves once the retained replay has been quiet for `settleMs`; call it right after SUBACK.
 * Rejects if the connection closes meanwhile. The caller feeds the messages into its table.
 */
export function awaitReplay(connection: BrokerConnection, settleMs: number): Promise<void> {
  const { client } = connection;

  return new Promise((resolve, reject) => {
    // Re-armed by every retained message.
    const quiet = setTimeout(done, settleMs);
    function onMessage(_topic: string, _payload: Buffer, packet: { retain?: boolean }): void {
      if (packet.retain === true) quiet.refresh();
    }
    function onClose(): void {
      clearTimeout(quiet);
      client.removeListener('message', onMessage);
      reject(new ClientError('CONNECTION_LOST', 'the broker closed the connection during replay'));
    }
    function done(): void {
      client.removeListener('close', onClose);
      client.removeListener('message', onMessage);
      resolve();
    }
    client.on('message', onMessage);
    client.once('close', onClose);
  });
}

/** Connects as a monitor, collects the retained statuses and disconnects. */
export async function readStatuses(
  settings: ConnectionSettings,
  settleMs: number,
  log: Logger,
): Promise<StatusTable> {
  const table = new StatusTable(settings.prefix);
  table.on('ignored', (topic, reason) => log.warn({ topic, reason }, 'status ignored'));

  const connection = await openConnection(settings, 'status', log);
  const apply = (topic: string, payload: Buffer) => table.apply(topic, payload);
  // Listening before SUBSCRIBE goes out, so no retained message is missed.
  connection.client.on('message', apply);
  try {
    await subscribeStatuses(connection);
    await awaitReplay(connection, settleMs);
  } finally {
    connection.client.removeListener('message', apply);
    await connection.close();
  }
  return table;
}
