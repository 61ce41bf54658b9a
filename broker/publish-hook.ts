import type { AedesOptions, Client, PublishPacket } from 'aedes';
import type { Logger } from '../lib/logger.js';
import type { Identity } from '../lib/roles.js';
import { PayloadError, parseAck, parseReport } from '../lib/status-payload.js';
import { parseTopic, statusTopic, type ParsedTopic } from '../lib/topics.js';
import type { OwnedWill } from './aedes-internals.js';
import type { IdentityRegistry } from './identity.js';
import { publishDecision, willRefusal } from './publish-rules.js';
import type { QoS, RetainedStore } from './retained-store.js';
import type { StatusBook } from './status-book.js';
import type { StatusWriter } from './status-writer.js';
import type { TopicQueue } from './topic-queue.js';

export class PublishRefusedError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'PublishRefusedError';
  }
}

export interface PublishContext {
  prefix: string;
  identities: IdentityRegistry;
  book: StatusBook;
  writer: StatusWriter;
  retained: RetainedStore;
  queue: TopicQueue;
  log: Logger;
  /** Hands a stored status to Aedes for delivery to current subscribers. */
  deliver: (topic: string, payload: Buffer, qos: QoS) => void;
  /** Deletes a stored will that was refused, so it is not tried again. */
  dropWill: (will: OwnedWill) => void;
}

type AuthorizePublish = NonNullable<AedesOptions['authorizePublish']>;

function qosOf(packet: PublishPacket): QoS {
  return Math.min(packet.qos, 2) as QoS;
}

/**
 * Every publish, from a client or a will, passes here before Aedes acknowledges, stores or
 * delivers it. Status reports are validated, normalised and durably stored before this
 * returns, so the PUBACK that follows means "on disk". MQTT 3.1.1 cannot refuse a publish
 * with a code; a refused one closes the connection [MQTT-3.3.5-2] and is neither stored
 * nor delivered.
 */
export class PublishHook {
  readonly #context: PublishContext;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(context: PublishContext) {
    this.#context = context;
  }

  readonly authorize: AuthorizePublish = (client, packet, done) => {
    const work = this.#authorize(client, packet as PublishPacket & { payload: Buffer });
    this.#inFlight.add(work);
    work.then(
      () => {
        this.#inFlight.delete(work);
        done(null);
      },
      (error: Error) => {
        this.#inFlight.delete(work);
        done(error);
      },
    );
  };

  /** Checks a will left by a broker that died, against the rights of the identity it names. */
  readonly acceptStoredWill = (will: OwnedWill): boolean => {
    const owner = will.owner;
    const reason =
      owner === undefined
        ? 'stored will has no owner'
        : willRefusal(owner, this.#context.prefix, will);
    if (reason === undefined) return true;

    const fields = {
      clientId: will.clientId,
      cn: owner?.name,
      role: owner?.role,
      topic: will.topic,
    };
    this.#context.log.info({ ...fields, reason }, 'publish refused');
    return false;
  };

  /** Resolves when every publish being authorised now has finished. */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  async #authorize(client: Client | null, packet: PublishPacket & { payload: Buffer }) {
    const who = this.#identityOf(client, packet);
    const refuse = (reason: string): never => {
      const fields = { clientId: client?.id, cn: who?.name, role: who?.role, topic: packet.topic };
      this.#context.log.info({ ...fields, reason }, 'publish refused');
      if (client === null) this.#context.dropWill(packet as OwnedWill);
      throw new PublishRefusedError(reason);
    };
    if (who === undefined) return refuse(client ? 'no identity' : 'stored will has no owner');
    if (typeof packet.payload === 'string') packet.payload = Buffer.from(packet.payload);

    const decision = publishDecision(who, this.#context.prefix, packet.topic, packet.payload);
    if (!decision.allowed) return refuse(decision.reason);

    const parsed = parseTopic(this.#context.prefix, packet.topic);
    try {
      if (parsed?.kind === 'status') await this.#status(packet, parsed);
      if (parsed?.kind === 'ack') await this.#ack(packet, parsed, who);
    } catch (error) {
      if (error instanceof PublishRefusedError) throw error;
      return refuse((error as Error).message);
    }
  }

  #identityOf(client: Client | null, packet: PublishPacket): Identity | undefined {
    if (client !== null) return this.#context.identities.get(client)?.identity;
    return (packet as OwnedWill).owner;
  }

  /** A report is stored normalised; a zero-length payload clears [MQTT-3.3.1-10]. */
  async #status(packet: PublishPacket & { payload: Buffer }, parsed: ParsedTopic) {
    const { book, writer, queue } = this.#context;
    // Status topics are retained by contract, whatever flag the reporter set.
    packet.retain = true;

    if (packet.payload.length === 0) {
      packet.payload = await queue.run(packet.topic, () => writer.clear(packet.topic));
      return;
    }

    const report = parseReport(packet.payload);
    packet.payload = await queue.run(packet.topic, () => {
      const status = book.normalise(packet.topic, parsed, report);
      return writer.put(packet.topic, status, qosOf(packet));
    });
  }

  /**
   * An acknowledgement rewrites the retained status it names; the ack message itself is
   * consumed (not retained, and not forwarded: see authorizeForward).
   */
  async #ack(packet: PublishPacket & { payload: Buffer }, parsed: ParsedTopic, who: Identity) {
    const { prefix, book, writer, queue, retained, deliver } = this.#context;
    packet.retain = false;
    const ack = parseAck(packet.payload);
    const target = statusTopic(prefix, parsed.service, parsed.check);
    const by = ack?.by ?? who.name;
    if (by !== who.name && who.role !== 'bridge' && who.role !== 'admin') {
      throw new PayloadError('acknowledgement: only a bridge or an admin may name "by"');
    }

    await queue.run(target, async () => {
      const current = book.get(target);
      const next = book.acknowledge(target, by, ack?.id);
      if (next === current) return;

      const qos = retained.get(target)?.qos ?? 1;
      deliver(target, await writer.put(target, next, qos), qos);
    });
  }
}
