import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { findActive, findBySerial, readIndex, type IndexEntry } from './cert-index.js';
import { CertsError } from './errors.js';
import { crlSerials, describeCertificate, effectiveStatus } from './inspect.js';
import type { CertificateDetails, EffectiveStatus } from './inspect.js';
import { certPaths } from './paths.js';
import { loadCaCertificate } from './store.js';

/** What `piminder certs show` picks: a client by name or serial, or the CA or server. */
export type ShowTarget = { kind: 'ca' } | { kind: 'server' } | { kind: 'named'; value: string };

export interface ShownCertificate {
  entry: IndexEntry | undefined;
  details: CertificateDetails;
  status: EffectiveStatus;
  certFile: string;
  keyFile: string | undefined;
}

interface Located {
  entry: IndexEntry | undefined;
  certFile: string;
  keyFile: string | undefined;
}

function locate(dir: string, entries: IndexEntry[], target: ShowTarget): Located {
  const paths = certPaths(dir);
  const index = { entries };
  switch (target.kind) {
    case 'ca':
      return { entry: findActive(index, 'ca'), certFile: paths.caCert, keyFile: paths.caKey };
    case 'server':
      return {
        entry: findActive(index, 'server'),
        certFile: paths.serverCert,
        keyFile: paths.serverKey,
      };
    case 'named':
      return locateNamed(dir, index.entries, target.value);
  }
}

function locateNamed(dir: string, entries: IndexEntry[], value: string): Located {
  const paths = certPaths(dir);
  const active = findActive({ entries }, 'client', value);
  if (active) {
    return { entry: active, certFile: paths.clientCert(value), keyFile: paths.clientKey(value) };
  }

  const latest = entries.findLast((entry) => entry.kind === 'client' && entry.name === value);
  const entry = latest ?? findBySerial({ entries }, value);
  if (entry === undefined) {
    throw new CertsError(
      'UNKNOWN',
      `no certificate named or numbered "${value}"`,
      'see "piminder certs list"; use --ca or --server for those two',
    );
  }
  return { entry, certFile: paths.issuedCert(entry.serial), keyFile: undefined };
}

export async function showCertificate(dir: string, target: ShowTarget, now = new Date()) {
  const caPem = await loadCaCertificate(dir);
  const index = await readIndex(dir);
  const located = locate(dir, index.entries, target);
  if (!existsSync(located.certFile)) {
    throw new CertsError(
      'UNKNOWN',
      `the certificate file ${located.certFile} is missing`,
      'restore it from a backup, or renew the certificate',
    );
  }

  const certPem = await readFile(located.certFile, 'utf8');
  const crlFile = certPaths(dir).crl;
  const revokedSerials = existsSync(crlFile) ? crlSerials(await readFile(crlFile, 'utf8')) : [];
  const status = effectiveStatus({
    certPem,
    caPem,
    revokedSerials,
    indexStatus: located.entry?.status,
    now,
  });
  const keyFile = located.keyFile;
  const shown: ShownCertificate = {
    entry: located.entry,
    details: describeCertificate(certPem),
    status,
    certFile: located.certFile,
    keyFile: keyFile !== undefined && existsSync(keyFile) ? keyFile : undefined,
  };
  return shown;
}
