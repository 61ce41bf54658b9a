import { X509Certificate as NodeCertificate } from 'node:crypto';
// @peculiar/x509 resolves its ASN.1 schemas through tsyringe, which needs this polyfill first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { normaliseSerial } from '../../lib/revocation.js';
import type { EntryStatus } from './cert-index.js';

/** What a certificate says about itself, read from its DER, not from the index. */
export interface CertificateDetails {
  subject: string;
  issuer: string;
  commonName: string;
  /** The OU, which Piminder reads as the role; null for the CA and the server. */
  role: string | null;
  /** Upper-case hex, the way openssl prints it. */
  serial: string;
  notBefore: Date;
  notAfter: Date;
  /** "DNS:name" and "IP:address" entries. */
  sans: string[];
  keyUsage: string[];
  extKeyUsage: string[];
  isCa: boolean;
}

const KEY_USAGE_NAMES: Array<[x509.KeyUsageFlags, string]> = [
  [x509.KeyUsageFlags.digitalSignature, 'digitalSignature'],
  [x509.KeyUsageFlags.nonRepudiation, 'nonRepudiation'],
  [x509.KeyUsageFlags.keyEncipherment, 'keyEncipherment'],
  [x509.KeyUsageFlags.dataEncipherment, 'dataEncipherment'],
  [x509.KeyUsageFlags.keyAgreement, 'keyAgreement'],
  [x509.KeyUsageFlags.keyCertSign, 'keyCertSign'],
  [x509.KeyUsageFlags.cRLSign, 'cRLSign'],
];

const EXT_KEY_USAGE_NAMES: Record<string, string> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
};

export function describeCertificate(pem: string): CertificateDetails {
  const cert = new x509.X509Certificate(pem);
  const keyUsage = cert.getExtension(x509.KeyUsagesExtension);
  const extKeyUsage = cert.getExtension(x509.ExtendedKeyUsageExtension);
  const altNames = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const constraints = cert.getExtension(x509.BasicConstraintsExtension);

  return {
    subject: cert.subject,
    issuer: cert.issuer,
    commonName: cert.subjectName.getField('CN')[0] ?? '',
    role: cert.subjectName.getField('OU')[0] ?? null,
    serial: cert.serialNumber.toUpperCase(),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    sans: (altNames?.names.items ?? []).map((name) => `${sanLabel(name.type)}:${name.value}`),
    keyUsage: KEY_USAGE_NAMES.filter(([flag]) => ((keyUsage?.usages ?? 0) & flag) !== 0).map(
      ([, label]) => label,
    ),
    extKeyUsage: (extKeyUsage?.usages ?? []).map((usage) => extKeyUsageName(String(usage))),
    isCa: constraints?.ca ?? false,
  };
}

function extKeyUsageName(oid: string): string {
  return EXT_KEY_USAGE_NAMES[oid] ?? oid;
}

function sanLabel(type: x509.GeneralNameType): string {
  return type === 'ip' ? 'IP' : type.toUpperCase();
}

/** A status as `show` and `list` report it: the index's word, overruled by the facts. */
export type EffectiveStatus = EntryStatus | 'expired' | 'not yet valid' | 'not from this CA';

export interface StatusEvidence {
  certPem: string;
  caPem: string;
  /** Serials listed in crl.pem, any spelling. */
  revokedSerials: string[];
  indexStatus: EntryStatus | undefined;
  now?: Date;
}

/**
 * Checks the certificate itself first: the CA's signature, the CRL, the validity dates.
 * Only a certificate that passes all of them is as good as the index says.
 */
export function effectiveStatus(evidence: StatusEvidence): EffectiveStatus {
  const now = evidence.now ?? new Date();
  const cert = new NodeCertificate(evidence.certPem);
  const ca = new NodeCertificate(evidence.caPem);
  const details = describeCertificate(evidence.certPem);

  const selfSigned = cert.raw.equals(ca.raw);
  if (!selfSigned && !(cert.checkIssued(ca) && cert.verify(ca.publicKey))) {
    return 'not from this CA';
  }
  const serial = normaliseSerial(details.serial);
  if (evidence.revokedSerials.some((revoked) => normaliseSerial(revoked) === serial)) {
    return 'revoked';
  }
  if (now.getTime() > details.notAfter.getTime()) return 'expired';
  if (now.getTime() < details.notBefore.getTime()) return 'not yet valid';
  return evidence.indexStatus ?? 'active';
}

/** The serials a CRL lists; an unreadable CRL lists nothing and says so by throwing. */
export function crlSerials(crlPem: string): string[] {
  return new x509.X509Crl(crlPem).entries.map((entry) => entry.serialNumber);
}
