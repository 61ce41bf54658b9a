import { readFileSync } from 'node:fs';
import type { Role } from '../../lib/roles.js';
import { certPaths, initCa, issueClient } from '../../tools/certs/store.js';

/** Certificate, key and CA of one client, as mqtt.js takes them. */
export interface ClientTls {
  name: string;
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
}

/** The CA folder every broker of a run serves, and the client identities of the harness. */
export interface BenchPki {
  dir: string;
  services: ClientTls[];
  monitor: ClientTls;
}

export const MONITOR_NAME = 'bench-monitor';

export function serviceName(index: number): string {
  return `bench-svc-${index}`;
}

/** A fresh CA in `dir` (written by the real certificate tool) with the harness' clients. */
export async function createBenchPki(dir: string, serviceCount: number): Promise<BenchPki> {
  await initCa(dir);
  const paths = certPaths(dir);
  const ca = readFileSync(paths.caCert);

  const issue = async (name: string, role: Role): Promise<ClientTls> => {
    await issueClient(dir, name, role);
    const cert = readFileSync(paths.clientCert(name));
    return { name, ca, cert, key: readFileSync(paths.clientKey(name)) };
  };

  const services: ClientTls[] = [];
  for (let index = 0; index < serviceCount; index += 1) {
    services.push(await issue(serviceName(index), 'service'));
  }
  return { dir, services, monitor: await issue(MONITOR_NAME, 'monitor') };
}
