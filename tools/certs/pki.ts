import { generateKeyPair, createPrivateKey, randomBytes, sign, webcrypto } from 'node:crypto';
import { promisify } from 'node:util';
// @peculiar/x509 resolves its ASN.1 schemas through tsyringe, which needs this polyfill first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import forge from 'node-forge';
import type { Role } from '../../lib/roles.js';
import { parseSans } from './sans.js';

/**
 * Building blocks of the private CA: keys from Node's crypto (generated off the event
 * loop), certificates from node-forge, the CRL from @peculiar/x509 (node-forge cannot
 * encode CRLs). Everything in and out is PEM; nothing here touches the disk.
 */

const generateKeyPairAsync = promisify(generateKeyPair);

/** RSA because node-forge signs with RSA only; 2048 bits is what TLS peers expect today. */
const KEY_BITS = 2048;

/** Backdating absorbs small clock differences between the CA host and its peers. */
const BACKDATE_MS = 5 * 60 * 1000;

const DAY_MS = 24 * 3600 * 1000;

export interface KeyPair {
  keyPem: string;
  publicKeyPem: string;
}

export interface CertifiedKey {
  certPem: string;
  keyPem: string;
  serial: string;
  notAfter: Date;
}

export interface CaMaterial {
  certPem: string;
  keyPem: string;
}

export async function generateKeys(): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPairAsync('rsa', {
    modulusLength: KEY_BITS,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { keyPem: privateKey, publicKeyPem: publicKey };
}

/**
 * A positive serial of 127 random bits as hex. DER INTEGERs are signed: the top bit of the
 * first byte must be clear, and a zero first byte would be a non-minimal encoding.
 */
export function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] as number) & 0x7f;
  if (bytes[0] === 0) bytes[0] = 0x01;
  return bytes.toString('hex');
}

/**
 * Signs with Node's native RSA instead of node-forge's JavaScript one, which holds the event
 * loop for tens of milliseconds per signature. node-forge still lays out the certificate: it
 * builds the TBSCertificate, then asks the key object for the signature over it.
 */
function signWithNodeCrypto(cert: forge.pki.Certificate, keyPem: string): void {
  const signer = {
    sign: (): string => {
      const tbs = forge.asn1.toDer(cert.tbsCertificate).getBytes();
      return sign('sha256', Buffer.from(tbs, 'binary'), keyPem).toString('binary');
    },
  };
  cert.sign(signer as unknown as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
}

function validity(cert: forge.pki.Certificate, days: number, now: Date): void {
  cert.validity.notBefore = new Date(now.getTime() - BACKDATE_MS);
  cert.validity.notAfter = new Date(now.getTime() + days * DAY_MS);
}

export interface CaIssued {
  serial: string;
  notAfter: Date;
}

export interface CaOptions {
  cn: string;
  days: number;
  now?: Date;
}

export async function createCa(options: CaOptions): Promise<CaMaterial & CaIssued> {
  const keys = await generateKeys();
  const cert = forge.pki.createCertificate();
  const now = options.now ?? new Date();

  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem);
  cert.serialNumber = randomSerial();
  validity(cert, options.days, now);
  const subject = [
    { name: 'commonName', value: options.cn },
    { name: 'organizationName', value: 'Piminder' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    // pathLen 0: this CA signs leaf certificates only, never another CA.
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  signWithNodeCrypto(cert, keys.keyPem);

  return {
    certPem: forge.pki.certificateToPem(cert),
    keyPem: keys.keyPem,
    serial: cert.serialNumber,
    notAfter: cert.validity.notAfter,
  };
}

interface LeafOptions {
  subject: Array<{ name?: string; shortName?: string; value: string }>;
  days: number;
  extensions: object[];
  now?: Date | undefined;
}

async function signLeaf(ca: CaMaterial, options: LeafOptions): Promise<CertifiedKey> {
  const keys = await generateKeys();
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const cert = forge.pki.createCertificate();

  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem);
  cert.serialNumber = randomSerial();
  validity(cert, options.days, options.now ?? new Date());
  cert.setSubject(options.subject);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    ...options.extensions,
    { name: 'subjectKeyIdentifier' },
    {
      name: 'authorityKeyIdentifier',
      keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes(),
    },
  ]);
  signWithNodeCrypto(cert, ca.keyPem);

  return {
    certPem: forge.pki.certificateToPem(cert),
    keyPem: keys.keyPem,
    serial: cert.serialNumber,
    notAfter: cert.validity.notAfter,
  };
}

export interface ServerOptions {
  cn: string;
  /** DNS names and IP addresses (v4 or v6) the server answers on. */
  sans: string[];
  days: number;
  now?: Date;
}

export function issueServerCertificate(ca: CaMaterial, options: ServerOptions) {
  // node-forge cannot parse IPv4-mapped IPv6 addresses, so iPAddress entries get raw bytes.
  const altNames = parseSans(options.sans).map((san) =>
    san.kind === 'ip'
      ? { type: 7, value: san.bytes.toString('binary') }
      : { type: 2, value: san.name },
  );
  return signLeaf(ca, {
    subject: [
      { name: 'commonName', value: options.cn },
      { name: 'organizationName', value: 'Piminder' },
    ],
    days: options.days,
    now: options.now,
    extensions: [
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
}

export interface ClientOptions {
  name: string;
  role: Role;
  days: number;
  now?: Date;
}

export function issueClientCertificate(ca: CaMaterial, options: ClientOptions) {
  return signLeaf(ca, {
    subject: [
      { name: 'commonName', value: options.name },
      { shortName: 'OU', value: options.role },
      { name: 'organizationName', value: 'Piminder' },
    ],
    days: options.days,
    now: options.now,
    extensions: [
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', clientAuth: true },
    ],
  });
}

export interface RevokedEntry {
  serial: string;
  revokedAt: Date;
}

/**
 * A CRL is valid until its nextUpdate; after that OpenSSL (and so Node's TLS and mosquitto)
 * refuses every client with CRL_HAS_EXPIRED. Piminder's servers reread crl.pem whenever it
 * changes, so freshness comes from the file: the CRL is valid as long as the CA, and a quiet
 * month without revocations never locks every client out.
 */
function crlNextUpdate(caNotAfter: Date, now: Date): Date {
  return caNotAfter.getTime() > now.getTime() ? caNotAfter : new Date(now.getTime() + DAY_MS);
}

const RSA_SHA256 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };

export async function buildCrl(ca: CaMaterial, revoked: RevokedEntry[], now = new Date()) {
  x509.cryptoProvider.set(webcrypto as never);
  const caCert = new x509.X509Certificate(ca.certPem);
  const der = createPrivateKey(ca.keyPem).export({ format: 'der', type: 'pkcs8' });
  const signingKey = await webcrypto.subtle.importKey('pkcs8', der, RSA_SHA256, false, ['sign']);

  const crl = await x509.X509CrlGenerator.create({
    issuer: caCert.subjectName,
    thisUpdate: now,
    nextUpdate: crlNextUpdate(caCert.notAfter, now),
    signingAlgorithm: RSA_SHA256,
    signingKey: signingKey as never,
    entries: revoked.map((entry) => ({
      serialNumber: entry.serial,
      revocationDate: entry.revokedAt,
    })),
    extensions: [
      await x509.AuthorityKeyIdentifierExtension.create(caCert, false, webcrypto as never),
    ],
  });
  // OpenSSL, Node's tls and mosquitto read the label "X509 CRL", not the library's "CRL".
  return `${x509.PemConverter.encode(crl.rawData, 'X509 CRL')}\n`;
}
