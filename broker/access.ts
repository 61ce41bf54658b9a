import { randomUUID } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { AedesOptions, Client } from 'aedes';
import type { Logger } from '../lib/logger.js';
import { clientIdAllowed, maySubscribe } from '../lib/roles.js';
import { parseTopic } from '../lib/topics.js';
import { internals } from './aedes-internals.js';
import { addressOf, peerIdentity, type IdentityRegistry } from './identity.js';
import { willRefusal } from './publish-rules.js';

export interface AccessContext {
  prefix: string;
  identities: IdentityRegistry;
  /** Serials revoked by the CRL as last read. */
  revoked: () => ReadonlySet<string>;
  log: Logger;
}

/** CONNACK return codes of MQTT 3.1.1 [MQTT-3.2.2-3]. */
const IDENTIFIER_REJECTED = 2;
const NOT_AUTHORIZED = 5;

type Authenticate = NonNullable<AedesOptions['authenticate']>;
type AuthorizeSubscribe = NonNullable<AedesOptions['authorizeSubscribe']>;
type AuthorizeForward = NonNullable<AedesOptions['authorizeForward']>;

/**
 * CONNECT: the identity is the verified certificate's CN, the role its OU. The client id
 * must belong to that identity, and a will must be something the identity may publish.
 */
export function createAuthenticate(context: AccessContext): Authenticate {
  return (client, _username, _password, done) => {
    const socket = client.conn as TLSSocket;
    const address = addressOf(socket);
    const claimedId = client.id;

    const refuse = (returnCode: number, reason: string, fields: object = {}): void => {
      context.log.info({ clientId: claimedId, address, reason, ...fields }, 'connection refused');
      // Aedes closes a refused client under its claimed id, and closing clears that id's
      // QoS 2 state: a refused newcomer must not touch the live session it claimed.
      internals(client).id = `refused:${randomUUID()}`;
      done(Object.assign(new Error(reason), { returnCode }), false);
    };

    const peer = peerIdentity(socket);
    if (!peer.ok) return refuse(NOT_AUTHORIZED, peer.reason, { cn: peer.name });

    const { identity, serial } = peer;
    const who = { cn: identity.name, role: identity.role };
    if (context.revoked().has(serial)) return refuse(NOT_AUTHORIZED, 'certificate revoked', who);
    if (!clientIdAllowed(identity, claimedId)) {
      const reason = `client id must be "${identity.name}" or start with "${identity.name}:"`;
      return refuse(IDENTIFIER_REJECTED, reason, who);
    }

    const will = internals(client)._will;
    if (will) {
      const refusal = willRefusal(identity, context.prefix, will);
      if (refusal !== undefined)
        return refuse(NOT_AUTHORIZED, refusal, { ...who, topic: will.topic });
      // Stored with the will, so a replay after a restart is checked against the same rights.
      will.owner = identity;
    }

    context.identities.set(client, { identity, serial, address });
    done(null, true);
  };
}

/** A refused filter gets the failure code 0x80 in the SUBACK and no retained replay. */
export function createAuthorizeSubscribe(context: AccessContext): AuthorizeSubscribe {
  return (client, subscription, done) => {
    const entry = context.identities.get(client);
    if (entry === undefined) return done(null, null);

    const decision = maySubscribe(entry.identity, context.prefix, subscription.topic);
    if (!decision.allowed) {
      const { name: cn, role } = entry.identity;
      const fields = { clientId: client.id, cn, role, filter: subscription.topic };
      context.log.info({ ...fields, reason: decision.reason }, 'subscribe refused');
      return done(null, null);
    }
    done(null, subscription);
  };
}

/**
 * The last gate before a message leaves: only topics the identity may subscribe to are sent,
 * which also covers queued messages of a persistent session that Aedes matched against a
 * filter it had stored before refusing it. Acknowledgements are consumed by the broker and
 * never forwarded.
 */
export function createAuthorizeForward(context: AccessContext): AuthorizeForward {
  const mayReceive = createMayReceive(context);
  return (client: Client, packet) => (mayReceive(client, packet.topic) ? packet : null);
}

/** The rule of authorizeForward for one topic, for the broker's own retained replay. */
export function createMayReceive(context: AccessContext) {
  return (client: Client, topic: string): boolean => {
    const entry = context.identities.get(client);
    if (entry === undefined) return false;
    if (parseTopic(context.prefix, topic)?.kind === 'ack') return false;
    return maySubscribe(entry.identity, context.prefix, topic).allowed;
  };
}

/** The Aedes hooks that enforce the access table. */
export function accessHooks(context: AccessContext) {
  return {
    authenticate: createAuthenticate(context),
    authorizeSubscribe: createAuthorizeSubscribe(context),
    authorizeForward: createAuthorizeForward(context),
  };
}
