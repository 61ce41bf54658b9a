import { createPrivateKey, X509Certificate } from 'node:crypto';
import { normaliseSerial, readRevokedSerials } from '../../lib/revocation.js';
import { isRole, type Role } from '../../lib/roles.js';
import type { ClientFiles, ClientTls } from '../../lib/client-identity.js';
import { ClientError } from './errors.js';

/** What the command line knows about its own certificate before it talks to the broker. */
export interface CertificateFacts {
  /** The CN: the service name the broker sees. */
  name: string;
  /** The OU when it names a known role; the broker decides for anything else. */
  role: Role | undefined;
  serial: string;
  notBefore: Date;
  notAfter: Date;
  certificate: X509Certificate;
}

function subjectField(subject: string, field: string): string | undefined {
  const prefix = `${field}=`;
  const line = subject.split('\n').find((entry) => entry.startsWith(prefix));
  return line?.slice(prefix.length);
}

/**
 * Reads the name and role from the client certificate and checks that the key belongs to it,
 * so a mix-up of files is reported by file name instead of as an obscure TLS failure.
 */
export function readCertificateFacts(files: ClientFiles, tls: ClientTls): CertificateFacts {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(tls.cert);
  } catch (error) {
    throw new ClientError(
      'CERT_INVALID',
      `${files.cert} is not a PEM certificate: ${(error as Error).message}`,
      'pass the .crt file that "piminder certs issue" wrote',
    );
  }

  const name = subjectField(certificate.subject, 'CN');
  if (name === undefined || name === '') {
    throw new ClientError('CERT_INVALID', `certificate ${files.cert} has no common name (CN)`);
  }

  let keyMatches: boolean;
  try {
    keyMatches = certificate.checkPrivateKey(createPrivateKey(tls.key));
  } catch (error) {
    throw new ClientError(
      'CERT_INVALID',
      `${files.key} is not a PEM private key: ${(error as Error).message}`,
    );
  }
  if (!keyMatches) {
    throw new ClientError(
      'CERT_INVALID',
      `key ${files.key} does not belong to certificate ${files.cert}`,
      'pass the .key file issued together with the certificate',
    );
  }

  const ou = subjectField(certificate.subject, 'OU');
  return {
    name,
    role: isRole(ou) ? ou : undefined,
    serial: normaliseSerial(certificate.serialNumber),
    notBefore: new Date(certificate.validFrom),
    notAfter: new Date(certificate.validTo),
    certificate,
  };
}

/** True when the CA file holds the certificate that signed ours. */
export function signedByCa(facts: CertificateFacts, caPem: Buffer): boolean {
  let ca: X509Certificate;
  try {
    ca = new X509Certificate(caPem);
  } catch {
    return false;
  }
  return facts.certificate.checkIssued(ca) && facts.certificate.verify(ca.publicKey);
}

/** True when a CRL in PEM form lists our serial; false when it does not or cannot be read. */
export function listedInCrl(facts: CertificateFacts, crlPem: string): boolean {
  try {
    return readRevokedSerials(crlPem).has(facts.serial);
  } catch {
    return false;
  }
}
