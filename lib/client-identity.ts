import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isAccessDenied, PiminderError } from './errors.js';

/** Default broker address: the embedded broker on loopback. */
export const DEFAULT_BROKER_URL = 'mqtts://127.0.0.1:8883';

/** The files a client presents: its certificate and key, and the CA it trusts. */
export interface ClientFiles {
  cert: string;
  key: string;
  ca: string;
}

/** `<certs>/clients/<identity>.crt|.key` and `<certs>/ca.crt`, the layout of `piminder certs`. */
export function identityFiles(certsDir: string, identity: string): ClientFiles {
  return {
    cert: join(certsDir, 'clients', `${identity}.crt`),
    key: join(certsDir, 'clients', `${identity}.key`),
    ca: join(certsDir, 'ca.crt'),
  };
}

export interface ClientTls {
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
}

/** Reads a client's files, failing with the path that is missing or unreadable. */
export function readClientTls(files: ClientFiles): ClientTls {
  const read = (what: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? String(error);
      const hint = isAccessDenied(error)
        ? 'run as the user that owns it (keys are mode 0600)'
        : what === 'CA'
          ? 'copy ca.crt from the certificate folder, or pass --ca or --certs'
          : 'issue it with "piminder certs issue <name> --role <role>", ' +
            'or point --certs at the folder that has it';
      throw new PiminderError(
        'PIMINDER_ERR_CLIENT_FILES',
        `cannot read ${what} ${resolve(path)}: ${reason}`,
        { hint },
      );
    }
  };
  return {
    cert: read('certificate', files.cert),
    key: read('key', files.key),
    ca: read('CA', files.ca),
  };
}

/**
 * A client id the broker accepts for this identity: `<identity>:<purpose>-<random>`, so that
 * two processes with one certificate never take over each other's session.
 */
export function clientIdFor(identity: string, purpose: string): string {
  return `${identity}:${purpose}-${randomBytes(4).toString('hex')}`;
}
