import { isUtf8 } from 'node:buffer';
import type { Client } from 'aedes';
import { filterMatches } from '../lib/topics.js';
import { internals, type Deliver, type DeliverPacket } from './aedes-internals.js';

export class PacketTooLargeError extends Error {
  constructor(length: number, limit: number) {
    super(`packet of ${length} bytes is over the limit of ${limit}`);
    this.name = 'PacketTooLargeError';
  }
}

/**
 * Refuses a frame as soon as its remaining length is read, before its body is buffered:
 * Aedes 1.2 has no packet size limit, and a frame announcing 256 MiB would otherwise be
 * collected in memory. The parser error closes only this client's socket.
 */
export function limitPacketSize(client: Client, limit: number): void {
  const parser = internals(client)._parser;
  const parseLength = parser._parseLength.bind(parser);
  parser._parseLength = () => {
    const complete = parseLength();
    if (complete && parser.packet.length > limit) {
      parser._emitError(new PacketTooLargeError(parser.packet.length, limit));
      return false;
    }
    return complete;
  };
}

/**
 * Refuses strings (topics, filters, client ids) that are not well-formed UTF-8 or contain
 * U+0000 [MQTT-1.5.3-1] [MQTT-1.5.3-2]; mqtt-packet decodes them without checking, which
 * would turn invalid bytes into U+FFFD and let two different byte strings name one topic.
 * Answering "cannot parse" makes the parser close the connection.
 */
export function requireWellFormedStrings(client: Client): void {
  const parser = internals(client)._parser;
  const parseString = parser._parseString.bind(parser);
  parser._parseString = () => {
    const start = parser._pos + 2;
    const text = parseString();
    if (text === null) return null;
    const bytes = parser._list.slice(start, parser._pos);
    return isUtf8(bytes) && !bytes.includes(0) ? text : null;
  };
}

/** The highest QoS granted to any of the client's subscriptions that match the topic. */
function grantedQos(client: Client, topic: string): number {
  let granted = -1;
  for (const [filter, subscription] of Object.entries(internals(client).subscriptions)) {
    if (filterMatches(filter, topic)) granted = Math.max(granted, subscription.qos);
  }
  return granted;
}

/** Bytes written to the client's socket that the peer has not taken yet. */
function backlogOf(client: Client): number {
  return (client.conn as { writableLength?: number }).writableLength ?? 0;
}

export interface DeliveryGuardOptions {
  /** Bytes a client may leave unread before it is dropped as a slow consumer. */
  maxBacklog: number;
  onSlowConsumer: (backlog: number) => void;
}

/**
 * Two corrections to how Aedes 1.2 hands live messages to a client (retained replays on
 * subscribe do not come this way: see retained-replay.ts):
 *
 * - Aedes waits for each subscriber's socket to drain before it counts a message as
 *   delivered, so one subscriber that stops reading holds back every other one once its
 *   concurrency window fills. Here the write is started and the message counted as delivered
 *   at once; a client whose unread backlog passes `maxBacklog` is disconnected.
 * - QoS: every message goes out at the lower of its QoS and the QoS granted to the
 *   client's matching subscriptions [MQTT-3.8.4], which Aedes does for exact topics only.
 */
export function guardDelivery(client: Client, options: DeliveryGuardOptions): void {
  const inner = internals(client);
  const deliver0 = inner.deliver0;
  const deliverQoS = inner.deliverQoS;

  const send = (packet: DeliverPacket): void => {
    const granted = grantedQos(client, packet.topic);
    if (granted < 0) return;
    if (granted < packet.qos) packet.qos = granted as 0 | 1 | 2;
    if (packet.qos === 0) deliver0(packet, noop);
    else deliverQoS(packet, noop);
  };

  let dropped = false;
  const live: Deliver = (packet, done) => {
    const backlog = backlogOf(client);
    if (dropped || backlog > options.maxBacklog) {
      if (!dropped) options.onSlowConsumer(backlog);
      dropped = true;
    } else {
      send(packet);
    }
    done();
  };

  inner.deliver0 = live;
  inner.deliverQoS = live;
}

function noop(): void {}
