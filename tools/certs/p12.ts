import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import forge from 'node-forge';
import { findActive, readIndex } from './cert-index.js';
import { CertsError } from './errors.js';
import { SECRET_MODE, writeAtomic } from './files.js';
import { certPaths } from './paths.js';
import { checkName, loadCaCertificate } from './store.js';

/**
 * PKCS#12 bundles for devices and browsers. OpenSSL 3 refuses the old RC2/RC4 PBEs without
 * -legacy, so the key is encrypted with PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) by default;
 * 3DES (pbeWithSHAAnd3-KeyTripleDESCBC) is offered for older devices and still opens in
 * OpenSSL 3's default provider. The MAC is HMAC-SHA1, the one node-forge writes.
 */
export const P12_ALGORITHMS = ['aes256', '3des'] as const;

export type P12Algorithm = (typeof P12_ALGORITHMS)[number];

/** OpenSSL's own default for PKCS#12 iteration counts. */
const ITERATIONS = 2048;

export interface P12Contents {
  certPem: string;
  keyPem: string;
  /** Certificates after the leaf, the CA first. */
  chainPems: string[];
  friendlyName: string;
  password: string;
  algorithm?: P12Algorithm;
}

export function buildP12(contents: P12Contents): Buffer {
  const key = forge.pki.privateKeyFromPem(contents.keyPem);
  const chain = [contents.certPem, ...contents.chainPems].map((pem) =>
    forge.pki.certificateFromPem(pem),
  );
  // node-forge passes prfAlgorithm on to PBKDF2; its type definitions do not list it.
  const options = {
    algorithm: contents.algorithm ?? 'aes256',
    prfAlgorithm: 'sha256',
    count: ITERATIONS,
    friendlyName: contents.friendlyName,
  };
  const asn1 = forge.pkcs12.toPkcs12Asn1(key, chain, contents.password, options);
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}

export function isP12Algorithm(value: string): value is P12Algorithm {
  return (P12_ALGORITHMS as readonly string[]).includes(value);
}

/**
 * The MAC reads the password as UTF-16 and PBKDF2 as single bytes in node-forge, while
 * OpenSSL reads UTF-8: only ASCII means the same to all three.
 */
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

export interface ExportOptions {
  password: string | undefined;
  algorithm?: string | undefined;
  force?: boolean | undefined;
}

function checkExportOptions(file: string, options: ExportOptions): P12Algorithm {
  if (options.password === undefined || options.password === '') {
    throw new CertsError(
      'P12_PASSWORD',
      'a PKCS#12 bundle needs a password',
      'set PIMINDER_P12_PASSWORD, which stays out of the process list, or pass --password',
    );
  }
  if (!PRINTABLE_ASCII.test(options.password)) {
    throw new CertsError(
      'P12_PASSWORD',
      'a PKCS#12 password may hold printable ASCII characters only',
      'other characters would not be encoded the way OpenSSL and devices read them',
    );
  }
  const algorithm = options.algorithm ?? 'aes256';
  if (!isP12Algorithm(algorithm)) {
    throw new CertsError(
      'BAD_OPTION',
      `unknown PKCS#12 algorithm "${algorithm}"`,
      `use one of ${P12_ALGORITHMS.join(', ')}`,
    );
  }
  if (existsSync(file) && !options.force) {
    throw new CertsError('FILE_EXISTS', `${file} already exists`, 'pass --force to replace it');
  }
  return algorithm;
}

/** Writes the active certificate of a client, its key and the CA to a 0600 .p12 file. */
export async function exportP12(dir: string, name: string, file: string, options: ExportOptions) {
  checkName(name);
  const algorithm = checkExportOptions(file, options);
  const caPem = await loadCaCertificate(dir);
  const index = await readIndex(dir);
  const entry = findActive(index, 'client', name);
  if (entry === undefined) {
    throw new CertsError(
      'NOT_ACTIVE',
      `"${name}" has no active certificate to export`,
      'see "piminder certs list"',
    );
  }

  const paths = certPaths(dir);
  const bundle = buildP12({
    certPem: await readFile(paths.clientCert(name), 'utf8'),
    keyPem: await readFile(paths.clientKey(name), 'utf8'),
    chainPems: [caPem],
    friendlyName: name,
    password: options.password ?? '',
    algorithm,
  });
  await writeAtomic(file, bundle, SECRET_MODE);
  return { entry, file, algorithm };
}
