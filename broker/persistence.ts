import { Readable } from 'node:stream';
import type { Level } from 'level';
import aedesPersistenceLevel from 'aedes-persistence-level';
import type { RetainedMessage, RetainedStore, QoS } from './retained-store.js';
import type { StatusWriter } from './status-writer.js';
import type { OwnedWill } from './aedes-internals.js';
import { SessionIndex, type SessionPersistence } from './session-index.js';

interface RetainedPacket {
  topic: string;
  payload: Buffer;
  qos: number;
}

/** The methods of Aedes' persistence the broker replaces or wraps. */
interface RetainedPersistence {
  storeRetained(packet: RetainedPacket): Promise<void>;
  createRetainedStreamCombi(patterns: string[]): Readable;
  createRetainedStream(pattern: string): Readable;
  outgoingClearMessageId(client: { clean?: boolean }, packet: { cmd: string }): Promise<unknown>;
  streamWill(brokers: object): Readable;
  delWill(client: { id: string; brokerId: string }): Promise<unknown>;
}

/** Stored wills that pass `accept`; the others are deleted so they are not tried again. */
async function* acceptedWills(
  source: Readable,
  accept: (will: OwnedWill) => boolean,
  drop: (will: OwnedWill) => Promise<unknown>,
): AsyncGenerator<OwnedWill> {
  for await (const will of source as AsyncIterable<OwnedWill>) {
    if (accept(will)) yield will;
    else await drop(will);
  }
}

function toPacket(message: RetainedMessage) {
  return {
    cmd: 'publish',
    topic: message.topic,
    payload: message.payload,
    qos: message.qos,
    retain: true,
  };
}

/**
 * aedes-persistence-level for sessions, subscriptions, QoS 1 queues and wills, with retained
 * messages served by the broker's RetainedStore: held in memory so a subscribe never scans
 * LevelDB, and written with group commit. Clean sessions skip LevelDB through SessionIndex.
 * Status writes reach the store before the PUBACK (from authorizePublish); Aedes' own retained
 * write of the same packet is then skipped.
 */
export async function createPersistence(
  root: Level<string, Buffer>,
  retained: RetainedStore,
  statuses: StatusWriter,
  acceptStoredWill: (will: OwnedWill) => boolean,
): Promise<object> {
  const sessions = root.sublevel<string, Buffer>('aedes', { valueEncoding: 'buffer' });
  const persistence = aedesPersistenceLevel(sessions) as RetainedPersistence & SessionPersistence;
  (await SessionIndex.load(sessions)).guard(persistence);

  persistence.storeRetained = async (packet) => {
    if (statuses.isStored(packet.payload)) return;
    await retained.write(packet.topic, packet.payload, Math.min(packet.qos, 2) as QoS);
  };
  // The broker replays retained messages itself on 'subscribe' (retained-replay.ts); Aedes'
  // own replay, which reads this stream, gets nothing to send twice.
  persistence.createRetainedStreamCombi = () => Readable.from([]);
  persistence.createRetainedStream = (pattern) =>
    Readable.from(retained.matching([pattern]).map(toPacket));

  // Aedes stores a QoS 1 delivery only for a persistent session (clean = false), yet looks
  // up every PUBACK in LevelDB. A clean session's PUBACK can match nothing stored, so its
  // lookup is skipped: a new monitor's 10,000 PUBACKs cost 10,000 reads otherwise. PUBCOMP
  // (QoS 2 PUBREL state is stored for clean sessions too) and queue clean-up still clear.
  const clearMessageId = persistence.outgoingClearMessageId.bind(persistence);
  persistence.outgoingClearMessageId = (client, packet) =>
    client.clean === true && packet.cmd === 'puback'
      ? Promise.resolve(undefined)
      : clearMessageId(client, packet);
  // Wills left by a broker that died are published without a client; a refusal from
  // authorizePublish there would reject inside Aedes' will sweep, so they are checked here.
  const streamWill = persistence.streamWill.bind(persistence);
  const dropWill = (will: OwnedWill) =>
    persistence.delWill({ id: will.clientId ?? '', brokerId: will.brokerId ?? '' });
  persistence.streamWill = (brokers) =>
    Readable.from(acceptedWills(streamWill(brokers), acceptStoredWill, dropWill));
  return persistence;
}
