import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Role } from '../../lib/roles.js';
import { issueClientCertificate } from '../../tools/certs/pki.js';
import { certPaths, initCa, issueClient, loadCa } from '../../tools/certs/store.js';

export interface TestPki {
  dir: string;
  ca: Buffer;
  serverCert: Buffer;
  serverKey: Buffer;
  /** Certificate and key of an issued client, read from disk. */
  client: (name: string) => { cert: Buffer; key: Buffer };
  issue: (name: string, role: Role) => Promise<{ cert: Buffer; key: Buffer }>;
}

/** A CA with a server certificate and the given clients, written to `dir` by the real tool. */
export async function createTestPki(dir: string, clients: Array<[string, Role]>): Promise<TestPki> {
  await initCa(dir);
  const paths = certPaths(dir);
  const client = (name: string) => ({
    cert: readFileSync(paths.clientCert(name)),
    key: readFileSync(paths.clientKey(name)),
  });
  const issue = async (name: string, role: Role) => {
    await issueClient(dir, name, role);
    return client(name);
  };
  for (const [name, role] of clients) await issueClient(dir, name, role);

  return {
    dir,
    ca: readFileSync(paths.caCert),
    serverCert: readFileSync(paths.serverCert),
    serverKey: readFileSync(paths.serverKey),
    client,
    issue,
  };
}

/**
 * A client certificate signed by the CA without the certificate tool's checks, as another tool
 * (openssl) could make it, for names the tool refuses but the broker must refuse as well.
 */
export async function issueWithoutChecks(dir: string, name: string, role: Role): Promise<void> {
  const paths = certPaths(dir);
  const issued = await issueClientCertificate(await loadCa(dir), { name, role, days: 30 });
  mkdirSync(paths.clients, { recursive: true });
  writeFileSync(paths.clientCert(name), issued.certPem);
  writeFileSync(paths.clientKey(name), issued.keyPem, { mode: 0o600 });
}
