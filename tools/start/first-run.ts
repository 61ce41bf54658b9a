import { existsSync } from 'node:fs';
import type { Logger } from '../../lib/logger.js';
import type { Role } from '../../lib/roles.js';
import { findActive } from '../certs/cert-index.js';
import { certPaths, initCa, issueClient, readIndex } from '../certs/store.js';

/** The identities a single-machine installation needs, and the demo reporter. */
export const DEVELOPMENT_IDENTITIES: ReadonlyArray<readonly [string, Role]> = [
  ['monitor', 'monitor'],
  ['bridge', 'bridge'],
  ['demo', 'service'],
  ['admin', 'admin'],
];

/**
 * First run without configuration: a development CA and the certificates the local parts
 * use. Existing files are never overwritten, so a second start, or a CA the operator made,
 * stays as it is. Returns what it created.
 */
export async function ensureDevelopmentPki(certsDir: string, logger: Logger): Promise<string[]> {
  const created: string[] = [];
  const paths = certPaths(certsDir);

  if (!existsSync(paths.caCert)) {
    await initCa(certsDir);
    created.push('CA', 'server');
    logger.info({ certs: certsDir }, 'created a development CA and server certificate');
  }

  for (const [name, role] of DEVELOPMENT_IDENTITIES) {
    if (existsSync(paths.clientCert(name))) continue;
    await issueClient(certsDir, name, role);
    created.push(name);
    logger.info({ certs: certsDir, identity: name, role }, 'issued a client certificate');
  }
  await warnAboutUnusable(certsDir, logger);
  return created;
}

/**
 * A development certificate revoked or expired since the first run would leave its part
 * retrying forever behind a link-down light; the start says so once, with the fix.
 */
async function warnAboutUnusable(certsDir: string, logger: Logger): Promise<void> {
  // Without a readable index (a CA made by another tool) there is nothing to go by.
  const index = await readIndex(certsDir).catch(() => undefined);
  if (index === undefined) return;
  const now = new Date();

  for (const [name, role] of DEVELOPMENT_IDENTITIES) {
    const issued = index.entries.some((entry) => entry.kind === 'client' && entry.name === name);
    const active = findActive(index, 'client', name);
    if (!issued) continue;
    const expired = active !== undefined && new Date(active.notAfter) < now;
    if (active !== undefined && !expired) continue;

    const state = expired ? 'expired' : 'revoked';
    const fix = expired
      ? `piminder certs renew ${name} --dir ${certsDir}`
      : `piminder certs issue ${name} --role ${role} --dir ${certsDir}`;
    logger.warn(
      { certs: certsDir, identity: name, role },
      `the ${name} certificate is ${state}: what uses it cannot connect; run "${fix}"`,
    );
  }
}
