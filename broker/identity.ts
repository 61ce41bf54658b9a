import type { Client } from 'aedes';
import type { TLSSocket } from 'node:tls';
import { isValidName } from '../lib/names.js';
import { isRole, type Identity } from '../lib/roles.js';
import { normaliseSerial } from '../lib/revocation.js';

/** Who a TLS peer is, read from the certificate it presented, or why it cannot say. */
export type PeerIdentity =
  { ok: true; identity: Identity; serial: string } | { ok: false; reason: string; name?: string };

/** A subject field may repeat; a certificate with two CNs or two OUs names no one. */
function single(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function peerIdentity(socket: TLSSocket): PeerIdentity {
  if (!socket.authorized) return { ok: false, reason: 'certificate not verified by the CA' };

  const peer = socket.getPeerCertificate();
  const name = single(peer.subject?.CN);
  const role = single(peer.subject?.OU);
  if (name === undefined || !isValidName(name)) {
    return { ok: false, reason: 'certificate has no usable CN' };
  }
  if (!isRole(role)) return { ok: false, reason: `unknown role "${String(role)}"`, name };

  return { ok: true, identity: { name, role }, serial: normaliseSerial(peer.serialNumber) };
}

export interface ConnectedIdentity {
  identity: Identity;
  serial: string;
  address: string;
}

/** The identity each authenticated client connected with; gone with the client object. */
export class IdentityRegistry {
  readonly #byClient = new WeakMap<Client, ConnectedIdentity>();

  set(client: Client, entry: ConnectedIdentity): void {
    this.#byClient.set(client, entry);
  }

  get(client: Client): ConnectedIdentity | undefined {
    return this.#byClient.get(client);
  }
}

export function addressOf(socket: { remoteAddress?: string; remotePort?: number }): string {
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
}
