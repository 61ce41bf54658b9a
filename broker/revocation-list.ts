// @peculiar/x509 resolves its ASN.1 schemas through tsyringe, which needs this polyfill first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

/** Serial numbers compared as lower-case hex without leading zeros, however they were written. */
export function normaliseSerial(serial: string): string {
  const hex = serial
    .toLowerCase()
    .replace(/[^0-9a-f]/g, '')
    .replace(/^0+/, '');
  return hex === '' ? '0' : hex;
}

/**
 * The serials a CRL revokes. Node's TLS checks the CRL at each handshake; the broker needs
 * the serials itself to find connections that were opened before the revocation.
 */
export function revokedSerials(crlPem: Buffer | undefined): Set<string> {
  if (crlPem === undefined) return new Set();
  const crl = new x509.X509Crl(crlPem.toString('utf8'));
  return new Set(crl.entries.map((entry) => normaliseSerial(entry.serialNumber)));
}
