import type { TLSSocket } from 'node:tls';
import type { Aedes, Client } from 'aedes';
import type { Logger } from '../lib/logger.js';
import { addressOf, type IdentityRegistry } from './identity.js';
import { PacketTooLargeError } from './client-guards.js';
import { PublishRefusedError } from './publish-hook.js';

/** Errors already logged where they were decided, or routine for a peer going away. */
function alreadyLogged(error: Error): boolean {
  return error instanceof PublishRefusedError || 'returnCode' in error;
}

/**
 * The log-level policy for what Aedes reports: accepted connections and peers' protocol
 * faults at info, routine disconnects at debug, the broker's own failures at error.
 */
export function logBrokerEvents(aedes: Aedes, identities: IdentityRegistry, log: Logger): void {
  const describe = (client: Client) => {
    const entry = identities.get(client);
    return {
      clientId: client.id,
      cn: entry?.identity.name,
      role: entry?.identity.role,
      address: entry?.address ?? addressOf(client.conn as TLSSocket),
    };
  };

  aedes.on('clientReady', (client) => log.info(describe(client), 'connection accepted'));
  aedes.on('clientDisconnect', (client) => log.debug(describe(client), 'client disconnected'));
  aedes.on('connectionError', (client, error) => {
    if (alreadyLogged(error)) return;
    log.info(
      { address: addressOf(client.conn as TLSSocket), reason: error.message },
      'connection refused',
    );
  });
  // Aedes reports an error for every write still pending on a closing socket; one line will do.
  const closedClients = new WeakSet<Client>();
  aedes.on('clientError', (client, error) => {
    if (closedClients.has(client)) return;
    closedClients.add(client);
    if (alreadyLogged(error)) return;
    const level = error instanceof PacketTooLargeError || !('code' in error) ? 'info' : 'debug';
    log[level]({ ...describe(client), reason: error.message }, 'connection closed');
  });
  (aedes as NodeJS.EventEmitter).on('error', (error: Error) => {
    log.error({ err: error }, 'broker failure');
  });
}
