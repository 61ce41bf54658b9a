import { hostname } from 'node:os';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isValidName, NAME_RULE } from '../../lib/names.js';
import { isRole, ROLES, type Role } from '../../lib/roles.js';
import { CertsError } from './errors.js';
import {
  buildCrl,
  createCa,
  issueClientCertificate,
  issueServerCertificate,
  type CaMaterial,
  type CertifiedKey,
} from './pki.js';

/** Where each file of the PKI lives under the certificate folder. */
export function certPaths(dir: string) {
  return {
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    crl: join(dir, 'crl.pem'),
    index: join(dir, 'index.json'),
    clients: join(dir, 'clients'),
    clientCert: (name: string) => join(dir, 'clients', `${name}.crt`),
    clientKey: (name: string) => join(dir, 'clients', `${name}.key`),
  };
}

export const DEFAULT_CA_DAYS = 3650;
export const DEFAULT_LEAF_DAYS = 397;

export type EntryKind = 'ca' | 'server' | 'client';
export type EntryStatus = 'active' | 'revoked' | 'superseded';

/** One line of the index: everything the CA ever issued. */
export interface IndexEntry {
  serial: string;
  name: string;
  kind: EntryKind;
  role: Role | null;
  issuedAt: string;
  notAfter: string;
  status: EntryStatus;
  revokedAt?: string;
}

export interface CertIndex {
  entries: IndexEntry[];
}

/** Writes through a temporary file so a reader (the broker watching crl.pem) never sees half. */
async function writeAtomic(path: string, content: string, mode: number): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, content, { mode });
  await chmod(temporary, mode);
  await rename(temporary, path);
}

async function writeKeyPair(certPath: string, keyPath: string, issued: CertifiedKey) {
  await writeAtomic(keyPath, issued.keyPem, 0o600);
  await writeAtomic(certPath, issued.certPem, 0o644);
}

export async function readIndex(dir: string): Promise<CertIndex> {
  const path = certPaths(dir).index;
  if (!existsSync(path)) return { entries: [] };
  try {
    return JSON.parse(await readFile(path, 'utf8')) as CertIndex;
  } catch (error) {
    throw new CertsError('INDEX_BROKEN', `cannot read ${path}: ${(error as Error).message}`);
  }
}

async function writeIndex(dir: string, index: CertIndex): Promise<void> {
  await writeAtomic(certPaths(dir).index, `${JSON.stringify(index, null, 2)}\n`, 0o644);
}

export async function loadCa(dir: string): Promise<CaMaterial> {
  const paths = certPaths(dir);
  if (!existsSync(paths.caCert) || !existsSync(paths.caKey)) {
    throw new CertsError(
      'CA_MISSING',
      `no CA in ${dir} (ca.crt and ca.key)`,
      `run "piminder certs init --dir ${dir}" first`,
    );
  }
  return {
    certPem: await readFile(paths.caCert, 'utf8'),
    keyPem: await readFile(paths.caKey, 'utf8'),
  };
}

function entryFor(kind: EntryKind, name: string, role: Role | null, issued: CertifiedKey) {
  const entry: IndexEntry = {
    serial: issued.serial,
    name,
    kind,
    role,
    issuedAt: new Date().toISOString(),
    notAfter: issued.notAfter.toISOString(),
    status: 'active',
  };
  return entry;
}

export function checkDays(days: number): void {
  if (!Number.isInteger(days) || days < 1 || days > 36500) {
    throw new CertsError('BAD_DAYS', `--days must be a whole number from 1 to 36500, not ${days}`);
  }
}

export interface InitOptions {
  cn?: string | undefined;
  sans?: string[] | undefined;
  days?: number | undefined;
  force?: boolean | undefined;
}

/** A new CA, a server certificate for this host and an empty CRL. */
export async function initCa(dir: string, options: InitOptions = {}): Promise<IndexEntry[]> {
  const paths = certPaths(dir);
  if (existsSync(paths.caCert) && !options.force) {
    throw new CertsError(
      'CA_EXISTS',
      `a CA already exists in ${dir}`,
      'pass --force to replace it; every certificate it issued stops working',
    );
  }
  const days = options.days ?? DEFAULT_CA_DAYS;
  checkDays(days);

  const caCn = options.cn ?? 'Piminder CA';
  const ca = await createCa({ cn: caCn, days });
  const sans = ['localhost', '127.0.0.1', '::1', hostname(), ...(options.sans ?? [])];
  const server = await issueServerCertificate(ca, {
    cn: hostname(),
    sans,
    days: Math.min(days, DEFAULT_LEAF_DAYS),
  });
  const crl = await buildCrl(ca, []);

  await mkdir(paths.clients, { recursive: true, mode: 0o755 });
  await writeAtomic(paths.caKey, ca.keyPem, 0o600);
  await writeAtomic(paths.caCert, ca.certPem, 0o644);
  await writeKeyPair(paths.serverCert, paths.serverKey, server);
  await writeAtomic(paths.crl, crl, 0o644);

  const caEntry: IndexEntry = {
    serial: ca.serial,
    name: caCn,
    kind: 'ca',
    role: null,
    issuedAt: new Date().toISOString(),
    notAfter: new Date(Date.now() + days * 86_400_000).toISOString(),
    status: 'active',
  };
  const entries = [caEntry, entryFor('server', hostname(), null, server)];
  await writeIndex(dir, { entries });
  return entries;
}

export function checkName(name: string): void {
  if (!isValidName(name)) {
    throw new CertsError('BAD_NAME', `"${name}" is not a valid name: use ${NAME_RULE}`);
  }
}

export function checkRole(role: string): asserts role is Role {
  if (!isRole(role)) {
    throw new CertsError('BAD_ROLE', `unknown role "${role}": use one of ${ROLES.join(', ')}`);
  }
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
  const days = options.days ?? DEFAULT_LEAF_DAYS;
  checkDays(days);
  const ca = await loadCa(dir);
  const index = await readIndex(dir);

  const active = index.entries.find(
    (entry) => entry.kind === 'client' && entry.name === name && entry.status === 'active',
  );
  if (active && !options.force) {
    throw new CertsError(
      'EXISTS',
      `an active certificate for "${name}" exists (serial ${active.serial})`,
      'use "piminder certs renew" or pass --force',
    );
  }

  const issued = await issueClientCertificate(ca, { name, role, days });
  const paths = certPaths(dir);
  await mkdir(paths.clients, { recursive: true });
  await writeKeyPair(paths.clientCert(name), paths.clientKey(name), issued);

  if (active) active.status = 'superseded';
  const entry = entryFor('client', name, role, issued);
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
  await writeAtomic(certPaths(dir).crl, await buildCrl(ca, revoked), 0o644);
}

/** Revokes the active certificate of a name, or any certificate by serial. */
export async function revoke(dir: string, nameOrSerial: string): Promise<IndexEntry> {
  await loadCa(dir);
  const index = await readIndex(dir);
  const wanted = nameOrSerial.toLowerCase().replace(/:/g, '');
  const entry =
    index.entries.find((e) => e.kind !== 'ca' && e.serial.toLowerCase() === wanted) ??
    index.entries.find((e) => e.kind === 'client' && e.name === nameOrSerial && e.status === 'active');

  if (!entry) {
    throw new CertsError(
      'UNKNOWN',
      `no certificate named or numbered "${nameOrSerial}"`,
      'see "piminder certs list"',
    );
  }
  if (entry.status === 'revoked') {
    throw new CertsError('ALREADY_REVOKED', `certificate ${entry.serial} is already revoked`);
  }

  entry.status = 'revoked';
  entry.revokedAt = new Date().toISOString();
  await writeCrl(dir, index);
  await writeIndex(dir, index);
  return entry;
}
