import { existsSync } from 'node:fs';
import type { Logger } from '../../lib/logger.js';
import type { Role } from '../../lib/roles.js';
import { certPaths, initCa, issueClient } from '../certs/store.js';

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
  return created;
}
