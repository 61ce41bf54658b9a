import { fromBER, Integer, Sequence } from 'asn1js';

/** Serial numbers compared as lower-case hex without leading zeros, however they were written. */
export function normaliseSerial(serial: string): string {
  const hex = serial
    .toLowerCase()
    .replace(/[^0-9a-f]/g, '')
    .replace(/^0+/, '');
  return hex === '' ? '0' : hex;
}

function pemBody(pem: string): Buffer {
  const match = /-----BEGIN X509 CRL-----([\s\S]+?)-----END X509 CRL-----/.exec(pem);
  if (match === null) throw new Error('no "BEGIN X509 CRL" block');
  return Buffer.from(match[1] ?? '', 'base64');
}

/**
 * The revokedCertificates list of a TBSCertList (RFC 5280, 5.1): the first SEQUENCE after
 * the issuer and the dates. Before it come an optional version (INTEGER), the signature
 * algorithm and the issuer (SEQUENCEs), and one or two times; after it only tagged fields.
 */
function revokedList(tbs: Sequence): Sequence | undefined {
  const fields = tbs.valueBlock.value;
  let index = fields[0] instanceof Integer ? 1 : 0;
  index += 2;
  while (index < fields.length && !(fields[index] instanceof Sequence)) index += 1;
  const list = fields[index];
  return list instanceof Sequence ? list : undefined;
}

function readSerials(der: Buffer): Set<string> {
  const parsed = fromBER(new Uint8Array(der));
  const certificateList = parsed.result;
  if (parsed.offset === -1 || !(certificateList instanceof Sequence)) {
    throw new Error(parsed.result.error || 'not DER');
  }
  const tbs = certificateList.valueBlock.value[0];
  if (!(tbs instanceof Sequence)) throw new Error('no TBSCertList');

  const serials = new Set<string>();
  for (const entry of revokedList(tbs)?.valueBlock.value ?? []) {
    const serial = entry instanceof Sequence ? entry.valueBlock.value[0] : undefined;
    if (!(serial instanceof Integer)) throw new Error('a revoked entry without a serial number');
    serials.add(normaliseSerial(Buffer.from(serial.valueBlock.valueHexView).toString('hex')));
  }
  return serials;
}

/**
 * The serials a CRL in PEM form revokes. Node's TLS checks the CRL at each handshake; the
 * broker and the bridge need the serials themselves to find connections that were opened
 * before a revocation. asn1js reads the DER; the certificate tool, which writes CRLs, uses the
 * much larger @peculiar/x509. Throws an Error that says what is wrong with the file.
 */
export function readRevokedSerials(crlPem: Buffer | string): Set<string> {
  return readSerials(pemBody(crlPem.toString()));
}
