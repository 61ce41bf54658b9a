import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isAccessDenied } from '../lib/errors.js';
import { BrokerError } from './errors.js';

/** Where the broker finds its PKI: the layout `piminder certs init` writes. */
export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
  crl: string;
}

export function tlsFiles(certsDir: string): TlsFiles {
  return {
    ca: join(certsDir, 'ca.crt'),
    cert: join(certsDir, 'server.crt'),
    key: join(certsDir, 'server.key'),
    crl: join(certsDir, 'crl.pem'),
  };
}

/** What the TLS listener is built from, read and checked once at start. */
export interface TlsMaterial {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
  /** Absent when the certificate folder has no crl.pem yet. */
  crl: Buffer | undefined;
  serverNotAfter: Date;
  caNotAfter: Date;
}

function readRequired(what: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new BrokerError(
      'FILE_MISSING',
      `cannot read the ${what} ${path}: ${reason}`,
      isAccessDenied(error)
        ? 'the user running the broker must own it: chown it to that user; keys stay mode 0600'
        : 'create the PKI with "piminder certs init" or pass --certs with the right folder',
    );
  }
}

/** A private key others can read is as good as published. */
function checkKeyPrivate(path: string): void {
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new BrokerError(
      'KEY_EXPOSED',
      `the server key ${path} is readable by group or others (mode ${mode.toString(8)})`,
      `run "chmod 600 ${path}"`,
    );
  }
}

function parseCertificate(what: string, path: string, pem: Buffer): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (error) {
    throw new BrokerError(
      'CERT_INVALID',
      `the ${what} ${path} is not a PEM certificate: ${(error as Error).message}`,
      'issue it again with "piminder certs"',
    );
  }
}

function checkKeyMatches(cert: X509Certificate, key: Buffer, files: TlsFiles): void {
  let matches: boolean;
  try {
    matches = cert.checkPrivateKey(createPrivateKey(key));
  } catch (error) {
    throw new BrokerError(
      'KEY_MISMATCH',
      `the server key ${files.key} cannot be read as a private key: ${(error as Error).message}`,
      'issue the server certificate and key again with "piminder certs"',
    );
  }
  if (!matches) {
    throw new BrokerError(
      'KEY_MISMATCH',
      `the server certificate ${files.cert} does not match the key ${files.key}`,
      'put the key that belongs to this certificate beside it, or issue both again',
    );
  }
}

function checkNotExpired(what: string, path: string, cert: X509Certificate, now: Date): Date {
  const notAfter = new Date(cert.validTo);
  if (notAfter.getTime() <= now.getTime()) {
    throw new BrokerError(
      'CERT_EXPIRED',
      `the ${what} ${path} expired on ${notAfter.toISOString()}`,
      'renew it with "piminder certs renew"',
    );
  }
  return notAfter;
}

/** Reads the CA, server certificate, key and CRL, refusing anything the broker cannot serve. */
export function loadTlsMaterial(files: TlsFiles, now = new Date()): TlsMaterial {
  const ca = readRequired('CA certificate', files.ca);
  const cert = readRequired('server certificate', files.cert);
  const key = readRequired('server key', files.key);
  checkKeyPrivate(files.key);

  const caCert = parseCertificate('CA certificate', files.ca, ca);
  const serverCert = parseCertificate('server certificate', files.cert, cert);
  checkKeyMatches(serverCert, key, files);
  const serverNotAfter = checkNotExpired('server certificate', files.cert, serverCert, now);
  const caNotAfter = checkNotExpired('CA certificate', files.ca, caCert, now);

  return { ca, cert, key, crl: readOptional(files.crl), serverNotAfter, caNotAfter };
}

/** The CRL is optional at start (a CA without revocations yet); later reloads pick it up. */
export function readOptional(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}
