import { Readable } from 'node:stream';
import type { AbstractSublevel } from 'abstract-level';
import type { Level } from 'level';

type SessionDb = AbstractSublevel<
  Level<string, Buffer>,
  string | Buffer | Uint8Array,
  string,
  Buffer
>;

interface ClientRef {
  id: string;
}

/** The methods of aedes-persistence-level that read or write one client's session state. */
export interface SessionPersistence {
  addSubscriptions(client: ClientRef, subs: Array<{ topic: string }>): Promise<unknown>;
  removeSubscriptions(client: ClientRef, topics: string[]): Promise<unknown>;
  subscriptionsByClient(client: ClientRef): Promise<unknown[]>;
  cleanSubscriptions(client: ClientRef): Promise<unknown>;
  outgoingEnqueue(sub: { clientId: string }, packet: object): Promise<unknown>;
  outgoingEnqueueCombi(subs: Array<{ clientId: string }> | null, packet: object): Promise<unknown>;
  outgoingUpdate(client: ClientRef, packet: object): Promise<unknown>;
  outgoingStream(client: ClientRef): Readable;
  incomingStorePacket(client: ClientRef, packet: object): Promise<unknown>;
  cleanIncoming(client: ClientRef): Promise<unknown>;
  putWill(client: ClientRef, packet: object): Promise<unknown>;
  getWill(client: ClientRef): Promise<unknown>;
  delWill(client: ClientRef): Promise<unknown>;
}

/** Key prefixes of aedes-persistence-level; the client id follows, URI-encoded. */
const KINDS = {
  subscriptions: 'subscriptions:',
  outgoing: 'outgoing:',
  outgoingId: 'outgoing-id:',
  incoming: 'incoming:',
  will: 'will:',
} as const;

type Kind = 'subscriptions' | 'outgoing' | 'incoming' | 'will';

function clientOfKey(key: string): { kind: Kind; id: string } | undefined {
  for (const [name, prefix] of Object.entries(KINDS)) {
    if (!key.startsWith(prefix)) continue;
    const rest = key.slice(prefix.length);
    const end = name === 'will' ? rest.length : rest.indexOf(':');
    const kind = name === 'outgoingId' ? 'outgoing' : (name as Kind);
    try {
      return { kind, id: decodeURIComponent(rest.slice(0, end < 0 ? rest.length : end)) };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Which client ids have session state stored at all: subscriptions, queued or in-flight QoS 1
 * messages, QoS 2 receipts, a will. Aedes asks LevelDB for all four on every connect and every
 * disconnect, before the CONNACK; for the usual client (a clean session, no will) every answer
 * is "nothing", and each costs a trip to LevelDB's thread. With this index those questions are
 * answered from memory. An id is marked before any write for it starts and unmarked only when
 * its state is known to be gone, so a marked id is asked of LevelDB as before; an unmarked one
 * has nothing stored.
 */
export class SessionIndex {
  readonly #marked: Record<Kind, Set<string>> = {
    subscriptions: new Set(),
    outgoing: new Set(),
    incoming: new Set(),
    will: new Set(),
  };

  static async load(db: SessionDb): Promise<SessionIndex> {
    const index = new SessionIndex();
    for await (const key of db.keys()) {
      const owner = clientOfKey(key);
      if (owner !== undefined) index.#marked[owner.kind].add(owner.id);
    }
    return index;
  }

  has(kind: Kind, id: string): boolean {
    return this.#marked[kind].has(id);
  }

  /** Wraps the session methods of `persistence` in place. */
  guard(persistence: SessionPersistence): void {
    const marked = this.#marked;
    const original = {
      addSubscriptions: persistence.addSubscriptions.bind(persistence),
      subscriptionsByClient: persistence.subscriptionsByClient.bind(persistence),
      cleanSubscriptions: persistence.cleanSubscriptions.bind(persistence),
      outgoingEnqueue: persistence.outgoingEnqueue.bind(persistence),
      outgoingEnqueueCombi: persistence.outgoingEnqueueCombi.bind(persistence),
      outgoingUpdate: persistence.outgoingUpdate.bind(persistence),
      outgoingStream: persistence.outgoingStream.bind(persistence),
      incomingStorePacket: persistence.incomingStorePacket.bind(persistence),
      cleanIncoming: persistence.cleanIncoming.bind(persistence),
      putWill: persistence.putWill.bind(persistence),
      getWill: persistence.getWill.bind(persistence),
      delWill: persistence.delWill.bind(persistence),
    };

    // The original cleanSubscriptions finds the subscriptions through the wrapped
    // subscriptionsByClient, so the id is unmarked only after it, and only if nothing was
    // subscribed meanwhile.
    let subscribes = 0;
    persistence.addSubscriptions = (client, subs) => {
      subscribes += 1;
      marked.subscriptions.add(client.id);
      return original.addSubscriptions(client, subs);
    };
    persistence.subscriptionsByClient = (client) =>
      marked.subscriptions.has(client.id)
        ? original.subscriptionsByClient(client)
        : Promise.resolve([]);
    persistence.cleanSubscriptions = async (client) => {
      if (!marked.subscriptions.has(client.id)) return;
      const before = subscribes;
      await original.cleanSubscriptions(client);
      if (subscribes === before) marked.subscriptions.delete(client.id);
    };

    persistence.outgoingEnqueue = (sub, packet) => {
      marked.outgoing.add(sub.clientId);
      return original.outgoingEnqueue(sub, packet);
    };
    persistence.outgoingEnqueueCombi = (subs, packet) => {
      for (const sub of subs ?? []) marked.outgoing.add(sub.clientId);
      return original.outgoingEnqueueCombi(subs, packet);
    };
    persistence.outgoingUpdate = (client, packet) => {
      marked.outgoing.add(client.id);
      return original.outgoingUpdate(client, packet);
    };
    persistence.outgoingStream = (client) =>
      marked.outgoing.has(client.id) ? original.outgoingStream(client) : Readable.from([]);

    persistence.incomingStorePacket = (client, packet) => {
      marked.incoming.add(client.id);
      return original.incomingStorePacket(client, packet);
    };
    persistence.cleanIncoming = async (client) => {
      if (!marked.incoming.has(client.id)) return;
      marked.incoming.delete(client.id);
      await original.cleanIncoming(client);
    };

    persistence.putWill = (client, packet) => {
      marked.will.add(client.id);
      return original.putWill(client, packet);
    };
    persistence.getWill = (client) =>
      marked.will.has(client.id) ? original.getWill(client) : Promise.resolve(undefined);
    persistence.delWill = async (client) => {
      if (!marked.will.has(client.id)) return undefined;
      marked.will.delete(client.id);
      return original.delWill(client);
    };
  }
}
