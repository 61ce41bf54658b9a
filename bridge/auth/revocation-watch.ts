// @peculiar/x509 resolves its ASN.1 schemas through tsyringe, which needs this polyfill first.
import 'reflect-metadata';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import * as x509 from '@peculiar/x509';
import type { Logger } from '../../lib/logger.js';

/** Serials as lower-case hex without separators or leading zeros, however they were written. */
export function normalSerial(serial: string): string {
  const hex = serial
    .toLowerCase()
    .replace(/[^0-9a-f]/g, '')
    .replace(/^0+/, '');
  return hex === '' ? '0' : hex;
}

/**
 * Follows `crl.pem` while the bridge runs. New handshakes are checked by TLS against the CRL
 * handed to `onChange`; the serials kept here also refuse requests on connections that were
 * opened before the revocation (HTTP keep-alive), so revoking needs no restart.
 */
export class RevocationWatch {
  readonly #path: string;
  readonly #log: Logger;
  readonly #onChange: (crl: Buffer | undefined) => void;
  #serials = new Set<string>();

  constructor(path: string, onChange: (crl: Buffer | undefined) => void, log: Logger) {
    this.#path = path;
    this.#onChange = onChange;
    this.#log = log;
  }

  /** Reads the CRL now; returns it for the first TLS context. */
  start(intervalMs: number): Buffer | undefined {
    const crl = this.#read();
    watchFile(this.#path, { interval: intervalMs, persistent: false }, () => this.#reload());
    return crl;
  }

  isRevoked(serial: string): boolean {
    return this.#serials.has(normalSerial(serial));
  }

  close(): void {
    unwatchFile(this.#path);
  }

  #reload(): void {
    try {
      this.#onChange(this.#read());
      this.#log.info({ path: this.#path, revoked: this.#serials.size }, 'revocation list reloaded');
    } catch (error) {
      // A half-written or broken file keeps the last good list rather than accepting everyone.
      const reason = (error as Error).message;
      this.#log.error({ path: this.#path, err: reason }, 'revocation list unreadable');
    }
  }

  #read(): Buffer | undefined {
    let pem: Buffer;
    try {
      pem = readFileSync(this.#path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        this.#serials = new Set();
        return undefined;
      }
      throw error;
    }
    const crl = new x509.X509Crl(pem.toString('utf8'));
    this.#serials = new Set(crl.entries.map((entry) => normalSerial(entry.serialNumber)));
    return pem;
  }
}
