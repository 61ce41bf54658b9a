import { Readable } from 'node:stream';
import type { Level } from 'level';
import aedesPersistenceLevel from 'aedes-persistence-level';
import type { RetainedMessage, RetainedStore, QoS } from './retained-store.js';
import type { StatusWriter } from './status-writer.js';

interface RetainedPacket {
  topic: string;
  payload: Buffer;
  qos: number;
}

/** The methods of Aedes' persistence the broker replaces for retained messages. */
interface RetainedPersistence {
  storeRetained(packet: RetainedPacket): Promise<void>;
  createRetainedStreamCombi(patterns: string[]): Readable;
  createRetainedStream(pattern: string): Readable;
}

function toPacket(message: RetainedMessage) {
  return { cmd: 'publish', topic: message.topic, payload: message.payload, qos: message.qos, retain: true };
}

/**
 * aedes-persistence-level for sessions, subscriptions, QoS 1 queues and wills, with retained
 * messages served by the broker's RetainedStore: held in memory so a subscribe never scans
 * LevelDB, and written with group commit. Status writes reach the store before the PUBACK
 * (from authorizePublish); Aedes' own retained write of the same packet is then skipped.
 */
export function createPersistence(
  root: Level<string, Buffer>,
  retained: RetainedStore,
  statuses: StatusWriter,
): object {
  const sessions = root.sublevel<string, Buffer>('aedes', { valueEncoding: 'buffer' });
  const persistence = aedesPersistenceLevel(sessions) as RetainedPersistence;

  persistence.storeRetained = async (packet) => {
    if (statuses.isStored(packet.payload)) return;
    await retained.write(packet.topic, packet.payload, Math.min(packet.qos, 2) as QoS);
  };
  persistence.createRetainedStreamCombi = (patterns) =>
    Readable.from(retained.matching(patterns).map(toPacket));
  persistence.createRetainedStream = (pattern) =>
    Readable.from(retained.matching([pattern]).map(toPacket));
  return persistence;
}
