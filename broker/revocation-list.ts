import { readRevokedSerials } from '../lib/revocation.js';
import { BrokerError } from './errors.js';

/** The serials crl.pem revokes; none without the file. */
export function revokedSerials(crlPem: Buffer | undefined): Set<string> {
  if (crlPem === undefined) return new Set();
  try {
    return readRevokedSerials(crlPem);
  } catch (error) {
    throw new BrokerError(
      'CRL_UNREADABLE',
      `crl.pem is not a readable CRL: ${(error as Error).message}`,
      'copy crl.pem again from the certificate folder (piminder certs revoke writes it)',
      error,
    );
  }
}
