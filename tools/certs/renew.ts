import { readFile } from 'node:fs/promises';
import { findActive, newEntry, readIndex, writeIndex } from './cert-index.js';
import type { CertIndex, IndexEntry } from './cert-index.js';
import { CertsError } from './errors.js';
import { withFolderLock } from './folder-lock.js';
import { describeCertificate } from './inspect.js';
import { certPaths } from './paths.js';
import { issueClientCertificate, issueServerCertificate, type CaMaterial } from './pki.js';
import { parseSans } from './sans.js';
import {
  checkDays,
  checkName,
  checkRole,
  checkWithinCa,
  DEFAULT_LEAF_DAYS,
  loadCa,
  serverSans,
  writeCrl,
  writeIssued,
} from './store.js';

/**
 * Renewal: a new key and certificate for the same name and role. The old certificate is
 * marked superseded but stays valid until it expires, so a device can switch over without
 * an outage; `revokeOld` ends it at once (a lost or leaked key).
 */
export interface RenewOptions {
  days?: number | undefined;
  revokeOld?: boolean | undefined;
}

export interface Renewal {
  previous: IndexEntry;
  current: IndexEntry;
}

function retire(index: CertIndex, previous: IndexEntry, current: IndexEntry, revokeOld = false) {
  previous.supersededBy = current.serial;
  previous.status = revokeOld ? 'revoked' : 'superseded';
  if (revokeOld) previous.revokedAt = new Date().toISOString();
  index.entries.push(current);
}

async function finish(dir: string, index: CertIndex, revokeOld = false): Promise<void> {
  if (revokeOld) await writeCrl(dir, index);
  await writeIndex(dir, index);
}

export async function renewClient(
  dir: string,
  name: string,
  options: RenewOptions = {},
): Promise<Renewal> {
  checkName(name);
  const days = options.days ?? DEFAULT_LEAF_DAYS;
  checkDays(days);
  const ca = await loadCa(dir);
  checkWithinCa(ca, days);
  return withFolderLock(dir, () => renewClientLocked(dir, ca, name, { ...options, days }));
}

async function renewClientLocked(
  dir: string,
  ca: CaMaterial,
  name: string,
  options: RenewOptions & { days: number },
): Promise<Renewal> {
  const { days } = options;
  const index = await readIndex(dir);
  const previous = findActive(index, 'client', name);
  if (previous === undefined || previous.role === null) {
    throw new CertsError(
      'NOT_ACTIVE',
      `"${name}" has no active certificate to renew`,
      `issue one with "piminder certs issue ${name} --role <role>"`,
    );
  }
  const role = previous.role;
  checkRole(role);

  const issued = await issueClientCertificate(ca, { name, role, days });
  const paths = certPaths(dir);
  await writeIssued(dir, paths.clientCert(name), paths.clientKey(name), issued);

  const current = newEntry('client', name, role, issued);
  retire(index, previous, current, options.revokeOld);
  await finish(dir, index, options.revokeOld);
  return { previous, current };
}

export interface ServerRenewOptions extends RenewOptions {
  /** Names and addresses to add to the ones the current certificate carries. */
  sans?: string[] | undefined;
}

/** A new server certificate with the current one's CN and SANs, plus any new SANs. */
export async function renewServer(
  dir: string,
  options: ServerRenewOptions = {},
): Promise<Renewal> {
  const days = options.days ?? DEFAULT_LEAF_DAYS;
  checkDays(days);
  const ca = await loadCa(dir);
  checkWithinCa(ca, days);
  return withFolderLock(dir, () => renewServerLocked(dir, ca, { ...options, days }));
}

async function renewServerLocked(
  dir: string,
  ca: CaMaterial,
  options: ServerRenewOptions & { days: number },
): Promise<Renewal> {
  const { days } = options;
  const index = await readIndex(dir);
  const paths = certPaths(dir);
  const previous = findActive(index, 'server');
  if (previous === undefined) {
    throw new CertsError(
      'NOT_ACTIVE',
      `there is no active server certificate in ${dir}`,
      'create the PKI with "piminder certs init"',
    );
  }
  const old = describeCertificate(await readFile(paths.serverCert, 'utf8'));
  const oldSans = old.sans.map((san) => san.replace(/^(DNS|IP):/, ''));
  const sans = [...oldSans, ...serverSans(options.sans ?? [])];
  parseSans(sans);

  const issued = await issueServerCertificate(ca, { cn: old.commonName, sans, days });
  await writeIssued(dir, paths.serverCert, paths.serverKey, issued);

  const current = newEntry('server', old.commonName, null, issued);
  retire(index, previous, current, options.revokeOld);
  await finish(dir, index, options.revokeOld);
  return { previous, current };
}
