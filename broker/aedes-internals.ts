import type { Client, PublishPacket } from 'aedes';
import type { Identity } from '../lib/roles.js';

/**
 * The parts of an Aedes 1.2 client that are not in its public types but that the broker
 * must reach: the packet parser (to cap packet size before a body is buffered), the deliver
 * functions (to keep one slow subscriber from stalling the others and to cap QoS), the
 * subscriptions (granted QoS per filter), the packet id sequence (for the broker's own
 * retained replay) and the will. Kept in this
 * one file so an Aedes upgrade has a single place to check.
 */
export interface ParserInternals {
  packet: { length: number };
  _pos: number;
  _list: { slice(start: number, end: number): Buffer };
  _parseLength(): boolean;
  _parseString(): string | null;
  _emitError(error: Error): void;
}

export type DeliverPacket = PublishPacket & { retain: boolean; qos: 0 | 1 | 2 };

export type Deliver = (packet: DeliverPacket, done: () => void) => void;

/** A will as the broker stores it: with the identity whose rights it was checked against. */
export type OwnedWill = PublishPacket & { owner?: Identity; clientId?: string; brokerId?: string };

export interface ClientInternals {
  id: string;
  clean: boolean;
  closed: boolean;
  _parser: ParserInternals;
  _will: OwnedWill | null | undefined;
  will: OwnedWill | null | undefined;
  subscriptions: Record<string, { qos: number }>;
  /** The next packet id of outgoing QoS 1/2 messages, 1 to 65535. */
  _nextId: number;
  deliver0: Deliver;
  deliverQoS: Deliver;
}

export function internals(client: Client): ClientInternals {
  return client as unknown as ClientInternals;
}
