import { readFileSync } from 'node:fs';
import type { Role } from '../../lib/roles.js';
import { certPaths, initCa, issueClient } from '../../tools/certs/store.js';

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
