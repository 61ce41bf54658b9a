import { setTimeout as sleep } from 'node:timers/promises';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../../lib/logger.js';
import { isRole, type Identity } from '../../lib/roles.js';
import { HttpError } from '../errors.js';
import { verifyDecoy, verifyPassword } from '../users/password-hash.js';
import type { UserStore } from '../users/user-store.js';
import { CredentialCache } from './credential-cache.js';
import { FailureThrottle } from './failure-throttle.js';

/** Who made a request, and how they proved it. */
export interface Caller extends Identity {
  via: 'certificate' | 'password';
}

export interface AuthSettings {
  users: UserStore;
  /** True for a certificate serial the CA has revoked since the connection was opened. */
  isRevoked: (serial: string) => boolean;
  throttle: FailureThrottle;
  cache: CredentialCache;
  logger: Logger;
}

/** What a request offers to prove who it is. */
export interface Credentials {
  socket: TLSSocket;
  authorization: string | undefined;
  address: string;
}

const HINT = 'send a client certificate from the Piminder CA or HTTP Basic credentials';

function refuse(message: string): HttpError {
  return new HttpError('UNAUTHENTICATED', message, { hint: HINT });
}

/**
 * Identifies the caller: a verified client certificate (CN = identity, OU = role) first, HTTP
 * Basic credentials of a `piminder users` user otherwise. A certificate that fails
 * verification is refused outright rather than ignored, so a revoked device learns why.
 */
export class Authenticator {
  readonly #settings: AuthSettings;

  constructor(settings: AuthSettings) {
    this.#settings = settings;
  }

  async identify(credentials: Credentials): Promise<Caller> {
    const fromCertificate = this.#fromCertificate(credentials.socket);
    if (fromCertificate !== undefined) return fromCertificate;
    return this.#fromPassword(credentials);
  }

  #fromCertificate(socket: TLSSocket): Caller | undefined {
    const peer = socket.getPeerCertificate();
    if (peer === null || peer === undefined || Object.keys(peer).length === 0) return undefined;

    if (!socket.authorized) {
      const reason = String(socket.authorizationError ?? 'not signed by the Piminder CA');
      throw refuse(`client certificate refused: ${reason}`);
    }
    if (this.#settings.isRevoked(peer.serialNumber)) {
      throw refuse('client certificate refused: CERT_REVOKED');
    }
    const name = first(peer.subject?.CN);
    const role = first(peer.subject?.OU);
    if (name === undefined || !isRole(role)) {
      throw refuse(`client certificate of "${name ?? '?'}" names no Piminder role (OU)`);
    }
    return { name, role, via: 'certificate' };
  }

  async #fromPassword(credentials: Credentials): Promise<Caller> {
    const basic = parseBasic(credentials.authorization);
    const { throttle, cache, users, logger } = this.#settings;

    const delay = throttle.delayFor(credentials.address);
    if (delay > 0) await sleep(delay);

    const user = await users.find(basic.name).catch((error: unknown) => {
      // The reason, with the file's path, goes to the log only: callers are not yet known.
      logger.error({ err: (error as Error).message }, 'user list unreadable');
      throw new HttpError(
        'USERS_UNAVAILABLE',
        'password logins are unavailable: the bridge cannot read its user list',
        { hint: 'the bridge log names the file and the reason; certificates still work' },
      );
    });
    const valid =
      user !== undefined && !user.disabled
        ? await cache.verify(basic.name, basic.password, user.password.salt, () =>
            verifyPassword(basic.password, user.password),
          )
        : await verifyDecoy(basic.password);

    if (!valid || user === undefined) {
      throttle.recordFailure(credentials.address);
      logger.info({ user: basic.name, address: credentials.address }, 'login refused');
      throw refuse('wrong user name or password');
    }
    throttle.recordSuccess(credentials.address);
    return { name: user.name, role: user.role, via: 'password' };
  }
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** `Basic base64(user:password)`; the password may itself contain ":" (RFC 7617). */
export function parseBasic(header: string | undefined): { name: string; password: string } {
  if (header === undefined || header === '') throw refuse('credentials are missing');

  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
  if (match === null) throw refuse('the Authorization header is not HTTP Basic');

  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw refuse('the Basic credentials are not "user:password"');
  return { name: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
