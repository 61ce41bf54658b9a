import type { Logger } from '../../lib/logger.js';
import { mayPublish } from '../../lib/roles.js';
import { parseReport, type Report } from '../../lib/status-payload.js';
import { statusTopic } from '../../lib/topics.js';
import { openConnection, type BrokerConnection } from './broker-connection.js';
import type { ConnectionSettings } from './connection-settings.js';
import { ClientError } from './errors.js';

/** What `piminder publish` sends: a report, or a clear (zero-length retained payload). */
export type PublishRequest =
  | { kind: 'report'; report: Report; check: string | undefined }
  | { kind: 'clear'; check: string | undefined };

export interface PublishResult {
  topic: string;
  /** Bytes of payload sent; 0 for a clear. */
  bytes: number;
}

/** The payload for a request, validated by the same schema the broker uses. */
export function encodeRequest(request: PublishRequest): Buffer {
  switch (request.kind) {
    case 'clear':
      return Buffer.alloc(0);
    case 'report': {
      const payload = Buffer.from(JSON.stringify(request.report), 'utf8');
      parseReport(payload);
      return payload;
    }
  }
}

function refusal(connection: BrokerConnection, topic: string, empty: boolean): ClientError {
  const { identity, prefix } = connection.settings;
  const what = empty ? 'clear' : 'report';
  const local =
    identity.role === undefined
      ? undefined
      : mayPublish({ name: identity.name, role: identity.role }, prefix, topic, empty);
  const reason = local?.allowed === false ? `: ${local.reason}` : '';
  const socketError = connection.lastError();

  return new ClientError(
    'PUBLISH_REFUSED',
    `the broker refused the ${what} on ${topic}${reason} ` +
      `(it closed the connection without acknowledging it` +
      `${socketError ? `: ${socketError.message}` : ''})`,
    "the broker's log names the reason; a broker that stopped at this moment looks the same",
  );
}

/**
 * One QoS 1 retained PUBLISH, settled by its PUBACK [MQTT-4.3.2-1]. MQTT 3.1.1 has no negative
 * PUBACK, so a broker refuses by closing the connection instead [MQTT-3.3.5-2]: a close before
 * the PUBACK is a refusal, never a success.
 */
function publishAndAwaitAck(
  connection: BrokerConnection,
  topic: string,
  payload: Buffer,
  remainingMs: number,
): Promise<void> {
  const { client } = connection;

  return new Promise((resolve, reject) => {
    const settle = (error?: ClientError) => {
      clearTimeout(timer);
      client.removeListener('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onClose = () => settle(refusal(connection, topic, payload.length === 0));
    const timer = setTimeout(() => {
      settle(
        new ClientError(
          'TIMEOUT',
          `timeout: no PUBACK for ${topic} within ${connection.settings.timeoutMs / 1000} s`,
          'the broker may or may not have stored it; run the command again',
        ),
      );
    }, remainingMs);

    client.once('close', onClose);
    client.publish(topic, payload, { qos: 1, retain: true }, (error) => {
      if (error) settle(new ClientError('PUBLISH_REFUSED', `${topic}: ${error.message}`));
      else settle();
    });
  });
}

/**
 * Connects with the settings' certificate, publishes one retained status to
 * `<prefix>/status/<CN>[/<check>]` and resolves once the broker acknowledged it.
 */
export async function publishRequest(
  settings: ConnectionSettings,
  request: PublishRequest,
  log: Logger,
): Promise<PublishResult> {
  const startedAt = Date.now();
  const payload = encodeRequest(request);
  const topic = statusTopic(settings.prefix, settings.identity.name, request.check);

  const connection = await openConnection(settings, 'publish', log);
  try {
    const remainingMs = Math.max(1, settings.timeoutMs - (Date.now() - startedAt));
    await publishAndAwaitAck(connection, topic, payload, remainingMs);
    log.debug({ clientId: connection.client.options.clientId, topic }, 'acknowledged');
  } finally {
    await connection.close();
  }
  return { topic, bytes: payload.length };
}
