import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { normaliseSerial } from '../../lib/revocation.js';
import { ROLES } from '../../lib/roles.js';
import { CertsError } from './errors.js';
import { PUBLIC_MODE, writeAtomic } from './files.js';
import { certPaths } from './paths.js';
import type { CertifiedKey } from './pki.js';

/**
 * index.json: one entry for everything the CA ever issued, never deleted. Certificates are
 * the truth for what they say; the index adds what they cannot: superseded and revoked.
 */

const ENTRY_KINDS = ['ca', 'server', 'client'] as const;
const ENTRY_STATUSES = ['active', 'revoked', 'superseded'] as const;

const isoTime = z.iso.datetime({ offset: true });

const indexEntrySchema = z.object({
  serial: z.string().regex(/^[0-9a-fA-F]{2,40}$/, 'must be a hex serial'),
  name: z.string().min(1),
  kind: z.enum(ENTRY_KINDS),
  role: z.enum(ROLES).nullable(),
  issuedAt: isoTime,
  notAfter: isoTime,
  status: z.enum(ENTRY_STATUSES),
  revokedAt: isoTime.optional(),
  supersededBy: z.string().optional(),
});

const indexSchema = z.object({ entries: z.array(indexEntrySchema) });

export type EntryKind = (typeof ENTRY_KINDS)[number];
export type EntryStatus = (typeof ENTRY_STATUSES)[number];
export type IndexEntry = z.infer<typeof indexEntrySchema>;
export type CertIndex = z.infer<typeof indexSchema>;

export async function readIndex(dir: string): Promise<CertIndex> {
  const path = certPaths(dir).index;
  if (!existsSync(path)) return { entries: [] };

  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw brokenIndex(path, (error as Error).message);
  }
  const parsed = indexSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined ? '' : `${issue.path.join('.')}: `;
    throw brokenIndex(path, `${where}${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

function brokenIndex(path: string, reason: string): CertsError {
  return new CertsError(
    'INDEX_BROKEN',
    `cannot read ${path}: ${reason}`,
    'restore it from a backup; the certificates themselves are unchanged',
  );
}

export async function writeIndex(dir: string, index: CertIndex): Promise<void> {
  await writeAtomic(certPaths(dir).index, `${JSON.stringify(index, null, 2)}\n`, PUBLIC_MODE);
}

export function newEntry(
  kind: EntryKind,
  name: string,
  role: IndexEntry['role'],
  issued: Pick<CertifiedKey, 'serial' | 'notAfter'>,
): IndexEntry {
  return {
    serial: issued.serial,
    name,
    kind,
    role,
    issuedAt: new Date().toISOString(),
    notAfter: issued.notAfter.toISOString(),
    status: 'active',
  };
}


export function findBySerial(index: CertIndex, serial: string): IndexEntry | undefined {
  const wanted = normaliseSerial(serial);
  return index.entries.find((entry) => normaliseSerial(entry.serial) === wanted);
}

export function findActive(index: CertIndex, kind: EntryKind, name?: string) {
  return index.entries.find(
    (entry) =>
      entry.kind === kind &&
      entry.status === 'active' &&
      (name === undefined || entry.name === name),
  );
}
