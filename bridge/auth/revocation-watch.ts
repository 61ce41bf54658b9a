import { readFileSync } from 'node:fs';
import { FileWatcher } from '../../lib/file-watcher.js';
import type { Logger } from '../../lib/logger.js';
import { normaliseSerial, readRevokedSerials } from '../../lib/revocation.js';

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
  #watcher: FileWatcher | undefined;

  constructor(path: string, onChange: (crl: Buffer | undefined) => void, log: Logger) {
    this.#path = path;
    this.#onChange = onChange;
    this.#log = log;
  }

  /** Reads the CRL now; returns it for the first TLS context. */
  start(intervalMs: number): Buffer | undefined {
    const crl = this.#read();
    this.#watcher = new FileWatcher([this.#path], intervalMs, () => this.#reload());
    return crl;
  }

  isRevoked(serial: string): boolean {
    return this.#serials.has(normaliseSerial(serial));
  }

  close(): void {
    this.#watcher?.close();
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
    this.#serials = readRevokedSerials(pem);
    return pem;
  }
}
