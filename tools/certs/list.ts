import { readIndex, type IndexEntry } from './cert-index.js';
import type { EffectiveStatus } from './inspect.js';
import { loadCaCertificate } from './store.js';

/** One row of `piminder certs list`: the index entry with its status as of now. */
export interface ListedCertificate extends Omit<IndexEntry, 'status'> {
  status: EffectiveStatus;
}

export async function listCertificates(dir: string, now = new Date()) {
  await loadCaCertificate(dir);
  const index = await readIndex(dir);
  return index.entries.map((entry): ListedCertificate => {
    const expired = entry.status === 'active' && new Date(entry.notAfter) < now;
    return { ...entry, status: expired ? 'expired' : entry.status };
  });
}

const COLUMNS = ['NAME', 'KIND', 'ROLE', 'SERIAL', 'EXPIRES', 'STATUS'] as const;

/** Columns padded to their widest cell, two spaces apart, like `ls -l` or `docker ps`. */
export function formatTable(rows: ListedCertificate[]): string {
  const cells = rows.map((row) => [
    row.name,
    row.kind,
    row.role ?? '-',
    row.serial.toUpperCase(),
    row.notAfter.slice(0, 10),
    row.status,
  ]);
  const all = [[...COLUMNS], ...cells];
  const widths = COLUMNS.map((_, column) =>
    Math.max(...all.map((line) => (line[column] ?? '').length)),
  );
  return all
    .map((line) =>
      line
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
