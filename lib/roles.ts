import { filterWithin, parseTopic } from './topics.js';

/** The role a certificate's OU (or an HTTP credential) grants. */
export const ROLES = ['service', 'monitor', 'bridge', 'admin'] as const;

export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Who is on the other end: the certificate CN (or user name) and its role. */
export interface Identity {
  name: string;
  role: Role;
}

export type Decision = { allowed: true } | { allowed: false; reason: string };

const ALLOW: Decision = { allowed: true };

function deny(reason: string): Decision {
  return { allowed: false, reason };
}

/**
 * The publish column of the access table in DESIGN.md. `empty` is a zero-length payload,
 * which on a status topic clears it.
 */
export function mayPublish(who: Identity, prefix: string, topic: string, empty: boolean): Decision {
  if (who.role === 'admin') return ALLOW;
  if (topic.startsWith('$')) return deny('only admin may publish to $-topics');

  const parsed = parseTopic(prefix, topic);
  if (parsed === undefined) return deny(`not a ${prefix}/status or ${prefix}/ack topic`);

  switch (who.role) {
    case 'service':
      if (parsed.kind !== 'status') return deny('a service may only publish its own status');
      if (parsed.service !== who.name) {
        return deny(`a service may only publish under its own name (${who.name})`);
      }
      return ALLOW;
    case 'monitor':
      if (parsed.kind === 'ack') return ALLOW;
      return empty ? ALLOW : deny('a monitor may only clear statuses, not report them');
    case 'bridge':
      return ALLOW;
  }
}

/** The subscribe column of the access table. */
export function maySubscribe(who: Identity, prefix: string, filter: string): Decision {
  switch (who.role) {
    case 'admin':
      return ALLOW;
    case 'service':
      return deny('a service may not subscribe');
    case 'monitor':
      return filterWithin(filter, `${prefix}/status/#`)
        ? ALLOW
        : deny(`a monitor may only subscribe within ${prefix}/status/#`);
    case 'bridge':
      return filterWithin(filter, `${prefix}/#`)
        ? ALLOW
        : deny(`a bridge may only subscribe within ${prefix}/#`);
  }
}

/** The MQTT client id must be the CN or start with `<CN>:`; admins may use any. */
export function clientIdAllowed(who: Identity, clientId: string): boolean {
  if (who.role === 'admin') return true;
  return clientId === who.name || clientId.startsWith(`${who.name}:`);
}
