import type { Client } from 'aedes';
import type { Logger } from '../lib/logger.js';
import { filterMatches } from '../lib/topics.js';
import { internals } from './aedes-internals.js';
import type { RetainedMessage, RetainedStore } from './retained-store.js';

/** Retained messages written to a socket in one event-loop turn. */
const BATCH = 256;

export interface ReplayContext {
  retained: RetainedStore;
  /** The last gate of the access table: false for a topic the client may not receive. */
  mayReceive: (client: Client, topic: string) => boolean;
  log: Logger;
}

interface GrantedFilter {
  topic: string;
  qos: number;
}

/** Aedes' own packet id sequence for the client: 1 to 65535, shared with live deliveries. */
function nextMessageId(client: Client): number {
  const inner = internals(client);
  const id = inner._nextId;
  inner._nextId = id >= 65535 ? 1 : id + 1;
  return id;
}

/**
 * Every retained message some filter matches, each once, with the QoS it goes out at: the
 * lower of its stored QoS and the best QoS granted to a matching filter [MQTT-3.8.4].
 */
function matchingMessages(retained: RetainedStore, filters: readonly GrantedFilter[]) {
  const found: Array<{ message: RetainedMessage; qos: number }> = [];
  for (const message of retained.values()) {
    let best = -1;
    for (const filter of filters) {
      // filterMatches keeps `+`/`#` in the first level away from `$` topics [MQTT-4.7.2-1].
      if (filter.qos > best && filterMatches(filter.topic, message.topic)) best = filter.qos;
    }
    if (best >= 0) found.push({ message, qos: Math.min(best, message.qos) });
  }
  return found;
}

/** Bytes of the MQTT variable-length "remaining length" field for a value [MQTT-2.2.3]. */
function lengthBytes(length: number): number {
  return length < 128 ? 1 : length < 16_384 ? 2 : length < 2_097_152 ? 3 : 4;
}

export interface Outgoing {
  topic: string;
  topicBytes: number;
  payload: Buffer;
  qos: number;
  messageId: number;
}

/**
 * PUBLISH packets with retain=1 [MQTT-3.3.1-8], encoded one after the other into one buffer,
 * so a batch costs one socket write instead of several small writes per message.
 */
export function encodeBatch(batch: readonly Outgoing[]): Buffer {
  // The bytes after the fixed header: topic length and topic, packet id at QoS 1, payload.
  const remainders = batch.map(
    (entry) => 2 + entry.topicBytes + (entry.qos > 0 ? 2 : 0) + entry.payload.length,
  );
  let total = 0;
  for (const remaining of remainders) total += 1 + lengthBytes(remaining) + remaining;

  const out = Buffer.allocUnsafe(total);
  let at = 0;
  batch.forEach((entry, index) => {
    let remaining = remainders[index] as number;
    out[at++] = 0x30 | (entry.qos << 1) | 1;
    do {
      const digit = remaining % 128;
      remaining = Math.floor(remaining / 128);
      out[at++] = remaining > 0 ? digit | 0x80 : digit;
    } while (remaining > 0);
    at = out.writeUInt16BE(entry.topicBytes, at);
    at += out.write(entry.topic, at, 'utf8');
    if (entry.qos > 0) at = out.writeUInt16BE(entry.messageId, at);
    at += entry.payload.copy(out, at);
  });
  return out;
}

/**
 * Sends the retained messages matching a new subscription straight from memory, as
 * [MQTT-3.3.1-6] asks, after the SUBACK that Aedes has just written. Aedes would take each
 * message through an object stream, a transform and a setImmediate of its own: about three
 * times the work of writing it. Each message goes out once, with retain=1 and a packet id
 * from the client's own sequence. Writing stops while the socket's buffer is full and goes on
 * at 'drain', so a monitor reading 10,000 statuses slowly is fed at its own pace.
 */
export function replayRetained(
  client: Client,
  granted: readonly GrantedFilter[],
  context: ReplayContext,
): void {
  const filters = granted.filter((filter) => filter.qos !== 128);
  if (filters.length === 0) return;

  const found = matchingMessages(context.retained, filters);
  const socket = client.conn as NodeJS.WritableStream & { destroyed?: boolean };
  let next = 0;

  const writeSome = (): void => {
    const inner = internals(client);
    if (inner.closed || socket.destroyed === true) return;

    const end = Math.min(next + BATCH, found.length);
    const batch: Outgoing[] = [];
    for (; next < end; next += 1) {
      const { message, qos } = found[next] as (typeof found)[number];
      if (!context.mayReceive(client, message.topic)) continue;
      batch.push({
        topic: message.topic,
        topicBytes: Buffer.byteLength(message.topic),
        payload: message.payload,
        qos,
        messageId: qos > 0 ? nextMessageId(client) : 0,
      });
    }
    const room = batch.length === 0 || socket.write(encodeBatch(batch));

    if (next >= found.length) return;
    if (room) setImmediate(writeSome);
    else socket.once('drain', writeSome);
  };

  writeSome();
  context.log.debug({ clientId: client.id, retained: found.length }, 'retained replay started');
}
