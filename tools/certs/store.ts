import { hostname } from 'node:os';
import { mkdir, readFile, rename } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Role } from '../../lib/roles.js';
import { findActive, findBySerial, newEntry, readIndex, writeIndex } from './cert-index.js';
import type { CertIndex, IndexEntry } from './cert-index.js';
import {
  checkCommonName,
  checkDays,
  checkName,
  checkRole,
  checkServiceName,
  checkWithinCa,
} from './checks.js';
import { isAccessDenied } from '../../lib/errors.js';
import { CertsError } from './errors.js';
import { PUBLIC_MODE, SECRET_MODE, writeAtomic } from './files.js';
import { withFolderLock } from './folder-lock.js';
import { certPaths, pkiFiles } from './paths.js';
import {
  buildCrl,
  createCa,
  issueClientCertificate,
  issueServerCertificate,
  type CaMaterial,
  type CertifiedKey,
} from './pki.js';
import { isDnsName, parseSans } from './sans.js';

export { certPaths } from './paths.js';
export { caNotAfter, checkDays, checkName, checkRole, checkWithinCa } from './checks.js';
export { readIndex } from './cert-index.js';
export type { CertIndex, EntryKind, EntryStatus, IndexEntry } from './cert-index.js';

export const DEFAULT_CA_DAYS = 3650;
export const DEFAULT_LEAF_DAYS = 397;

/** SANs every server certificate carries, so local clients verify without options. */
const LOCAL_SANS = ['localhost', '127.0.0.1', '::1'];

/** Reads a file of the CA folder; a permission problem is one line that names the file. */
async function readCaFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') {
      throw new CertsError('UNREADABLE', `cannot read ${path}: it is a folder, not a file`);
    }
    if (!isAccessDenied(error)) throw error;
    throw new CertsError(
      'UNREADABLE',
      `cannot read ${path}: permission denied`,
      'run the command as the user that owns the certificate folder (keys are mode 0600)',
    );
  }
}

function requireCa(dir: string): void {
  const paths = certPaths(dir);
  if (!existsSync(paths.caCert) || !existsSync(paths.caKey)) {
    throw new CertsError(
      'CA_MISSING',
      `no CA in ${dir} (ca.crt and ca.key)`,
      `run "piminder certs init --dir ${dir}" first`,
    );
  }
}

/** The CA certificate alone, for commands that only read: list, show, export. */
export async function loadCaCertificate(dir: string): Promise<string> {
  requireCa(dir);
  return readCaFile(certPaths(dir).caCert);
}

/** The CA certificate and key, for commands that sign. */
export async function loadCa(dir: string): Promise<CaMaterial> {
  return {
    certPem: await loadCaCertificate(dir),
    keyPem: await readCaFile(certPaths(dir).caKey),
  };
}

/** Writes a freshly issued certificate and its key, plus the copy kept under issued/. */
export async function writeIssued(
  dir: string,
  certPath: string,
  keyPath: string,
  issued: CertifiedKey,
) {
  const paths = certPaths(dir);
  await mkdir(paths.issued, { recursive: true });
  await writeAtomic(paths.issuedCert(issued.serial), issued.certPem, PUBLIC_MODE);
  await writeAtomic(keyPath, issued.keyPem, SECRET_MODE);
  await writeAtomic(certPath, issued.certPem, PUBLIC_MODE);
}

/** The SANs a server certificate gets: loopback, this host, and what the operator adds. */
export function serverSans(extra: string[]): string[] {
  const host = hostname();
  return [...LOCAL_SANS, ...(isDnsName(host) ? [host] : []), ...extra];
}

export interface InitOptions {
  cn?: string | undefined;
  sans?: string[] | undefined;
  days?: number | undefined;
  force?: boolean | undefined;
}

function caExists(dir: string): boolean {
  const paths = certPaths(dir);
  return existsSync(paths.caCert) || existsSync(paths.caKey);
}

/** `init --force` keeps the old PKI in replaced-<time>/ rather than deleting any key. */
async function moveOldPkiAside(dir: string): Promise<string> {
  const aside = join(dir, `replaced-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  await mkdir(aside, { recursive: true, mode: 0o700 });
  for (const path of pkiFiles(dir)) {
    if (existsSync(path)) await rename(path, join(aside, path.slice(dir.length + 1)));
  }
  return aside;
}

function refuseExistingCa(dir: string, force: boolean | undefined): void {
  if (caExists(dir) && !force) {
    throw new CertsError(
      'CA_EXISTS',
      `a CA already exists in ${dir}`,
      'pass --force to replace it; every certificate it issued stops working',
    );
  }
}

/** A new CA, a server certificate for this host and an empty CRL. */
export async function initCa(dir: string, options: InitOptions = {}): Promise<IndexEntry[]> {
  refuseExistingCa(dir, options.force);
  const days = options.days ?? DEFAULT_CA_DAYS;
  checkDays(days);
  const caCn = options.cn ?? 'Piminder CA';
  checkCommonName(caCn);
  const sans = serverSans(options.sans ?? []);
  parseSans(sans);

  const ca = await createCa({ cn: caCn, days });
  const server = await issueServerCertificate(ca, {
    cn: hostname(),
    sans,
    days: Math.min(days, DEFAULT_LEAF_DAYS),
  });
  const crl = await buildCrl(ca, []);

  await mkdir(dir, { recursive: true });
  return withFolderLock(dir, async () => {
    // Checked again under the lock: another init may have finished meanwhile.
    refuseExistingCa(dir, options.force);
    if (caExists(dir)) await moveOldPkiAside(dir);

    const paths = certPaths(dir);
    await mkdir(paths.clients, { recursive: true, mode: 0o755 });
    await writeAtomic(paths.caKey, ca.keyPem, SECRET_MODE);
    await writeAtomic(paths.caCert, ca.certPem, PUBLIC_MODE);
    await writeIssued(dir, paths.serverCert, paths.serverKey, server);
    await writeAtomic(paths.crl, crl, PUBLIC_MODE);

    const entries = [newEntry('ca', caCn, null, ca), newEntry('server', hostname(), null, server)];
    await writeIndex(dir, { entries });
    return entries;
  });
}

export interface IssueOptions {
  days?: number | undefined;
  force?: boolean | undefined;
}

/** A client certificate with CN=name and OU=role. */
export async function issueClient(
  dir: string,
  name: string,
  role: string,
  options: IssueOptions = {},
): Promise<IndexEntry> {
  checkName(name);
  checkRole(role);
  checkServiceName(name, role);
  const days = options.days ?? DEFAULT_LEAF_DAYS;
  checkDays(days);
  const ca = await loadCa(dir);
  checkWithinCa(ca, days);
  const request = { name, role, days, force: options.force };
  return withFolderLock(dir, () => issueLocked(dir, ca, request));
}

interface IssueRequest {
  name: string;
  role: Role;
  days: number;
  force: boolean | undefined;
}

async function issueLocked(dir: string, ca: CaMaterial, request: IssueRequest) {
  const { name, role, days } = request;
  const index = await readIndex(dir);

  const active = findActive(index, 'client', name);
  if (active && !request.force) {
    throw new CertsError(
      'EXISTS',
      `an active certificate for "${name}" exists (serial ${active.serial.toUpperCase()})`,
      'use "piminder certs renew" or pass --force',
    );
  }

  const issued = await issueClientCertificate(ca, { name, role, days });
  const paths = certPaths(dir);
  await mkdir(paths.clients, { recursive: true });
  await writeIssued(dir, paths.clientCert(name), paths.clientKey(name), issued);

  const entry = newEntry('client', name, role, issued);
  if (active) {
    active.status = 'superseded';
    active.supersededBy = entry.serial;
  }
  index.entries.push(entry);
  await writeIndex(dir, index);
  return entry;
}

/** Rewrites crl.pem from the index: every revoked serial, signed by the CA. */
export async function writeCrl(dir: string, index: CertIndex): Promise<void> {
  const ca = await loadCa(dir);
  const revoked = index.entries
    .filter((entry) => entry.status === 'revoked')
    .map((entry) => ({ serial: entry.serial, revokedAt: new Date(entry.revokedAt ?? Date.now()) }));
  await writeAtomic(certPaths(dir).crl, await buildCrl(ca, revoked), PUBLIC_MODE);
}

function findRevocable(index: CertIndex, nameOrSerial: string): IndexEntry {
  const bySerial = findBySerial(index, nameOrSerial);
  if (bySerial && bySerial.kind !== 'ca') return bySerial;
  if (bySerial) {
    throw new CertsError(
      'UNKNOWN',
      `${nameOrSerial} is the CA itself, which cannot revoke itself`,
      'replace the CA with "piminder certs init --force"',
    );
  }

  const active = findActive(index, 'client', nameOrSerial);
  if (active) return active;
  const last = index.entries.findLast(
    (entry) => entry.kind === 'client' && entry.name === nameOrSerial,
  );
  if (last) {
    throw new CertsError(
      last.status === 'revoked' ? 'ALREADY_REVOKED' : 'NOT_ACTIVE',
      `"${nameOrSerial}" has no active certificate ` +
        `(the last one, ${last.serial.toUpperCase()}, is ${last.status})`,
      'revoke a superseded certificate by its serial',
    );
  }
  throw new CertsError(
    'UNKNOWN',
    `no certificate named or numbered "${nameOrSerial}"`,
    'see "piminder certs list"',
  );
}

/** Revokes the active certificate of a name, or any certificate by serial. */
export async function revoke(dir: string, nameOrSerial: string): Promise<IndexEntry> {
  await loadCa(dir);
  return withFolderLock(dir, () => revokeLocked(dir, nameOrSerial));
}

async function revokeLocked(dir: string, nameOrSerial: string): Promise<IndexEntry> {
  const index = await readIndex(dir);
  const entry = findRevocable(index, nameOrSerial);
  if (entry.status === 'revoked') {
    const serial = entry.serial.toUpperCase();
    throw new CertsError('ALREADY_REVOKED', `certificate ${serial} is already revoked`);
  }

  entry.status = 'revoked';
  entry.revokedAt = new Date().toISOString();
  await writeCrl(dir, index);
  await writeIndex(dir, index);
  return entry;
}
