import { readFileSync } from 'node:fs';
import type { Server, TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { Logger } from '../lib/logger.js';
import { secureContextOptions } from './listener.js';
import { FileWatcher } from '../lib/file-watcher.js';
import { normaliseSerial } from '../lib/revocation.js';
import { revokedSerials } from './revocation-list.js';
import type { TlsFiles, TlsMaterial } from './tls-material.js';
import { readOptional } from './tls-material.js';

export interface TrustState {
  material: TlsMaterial;
  revoked: Set<string>;
}

export interface TrustReloadOptions {
  files: TlsFiles;
  state: TrustState;
  server: Server;
  sockets: ReadonlySet<TLSSocket>;
  intervalMs: number;
  log: Logger;
  /** Closes a connection whose certificate is now revoked (without its will). */
  evict: (socket: TLSSocket) => void;
  onReloaded: () => void;
}

/** Reads the CA and CRL again; keeps the old ones when the new files cannot be used. */
function reload(options: TrustReloadOptions): void {
  const { files, state, server, log } = options;
  let ca: Buffer;
  let crl: Buffer | undefined;
  let revoked: Set<string>;
  let caNotAfter: Date;
  try {
    ca = readFileSync(files.ca);
    caNotAfter = new Date(new X509Certificate(ca).validTo);
    crl = readOptional(files.crl);
    revoked = revokedSerials(crl);
    server.setSecureContext(secureContextOptions({ ...state.material, ca, crl }));
  } catch (error) {
    log.error({ reason: (error as Error).message }, 'trust reload failed, keeping previous');
    return;
  }

  state.material = { ...state.material, ca, crl, caNotAfter };
  state.revoked = revoked;
  log.info({ revoked: revoked.size }, 'trust reloaded');

  // New handshakes use the new context; connections opened before it are checked here.
  for (const socket of options.sockets) {
    const serial = socket.getPeerCertificate()?.serialNumber;
    if (serial !== undefined && revoked.has(normaliseSerial(serial))) options.evict(socket);
  }
  options.onReloaded();
}

/** Watches ca.crt and crl.pem and applies changes without a restart. */
export function watchTrust(options: TrustReloadOptions): FileWatcher {
  const { files, intervalMs } = options;
  return new FileWatcher([files.ca, files.crl], intervalMs, () => reload(options));
}
