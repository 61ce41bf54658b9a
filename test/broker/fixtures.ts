import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { issueClientCertificate, issueServerCertificate } from '../../tools/certs/pki.js';
import type { Role } from '../../lib/roles.js';
import type { TestPki } from '../helpers/pki.js';
import type { TlsFiles } from './support.js';

const DAY_MS = 24 * 3600 * 1000;

function caOf(pki: TestPki) {
  return {
    certPem: readFileSync(join(pki.dir, 'ca.crt'), 'utf8'),
    keyPem: readFileSync(join(pki.dir, 'ca.key'), 'utf8'),
  };
}

/** A client certificate from the test CA that expired yesterday. */
export async function expiredClient(pki: TestPki, name: string, role: Role): Promise<TlsFiles> {
  const issued = await issueClientCertificate(caOf(pki), {
    name,
    role,
    days: 1,
    now: new Date(Date.now() - 3 * DAY_MS),
  });
  return { cert: Buffer.from(issued.certPem), key: Buffer.from(issued.keyPem), ca: pki.ca };
}

/** A certificate from the test CA whose OU is no role Piminder knows. */
export async function unknownRoleClient(pki: TestPki, name: string): Promise<TlsFiles> {
  const issued = await issueClientCertificate(caOf(pki), {
    name,
    role: 'janitor' as Role,
    days: 5,
  });
  return { cert: Buffer.from(issued.certPem), key: Buffer.from(issued.keyPem), ca: pki.ca };
}

/** A server certificate and key from the test CA that expired yesterday. */
export async function expiredServer(pki: TestPki) {
  return issueServerCertificate(caOf(pki), {
    cn: 'localhost',
    sans: ['localhost', '127.0.0.1'],
    days: 1,
    now: new Date(Date.now() - 3 * DAY_MS),
  });
}

/** Resolves when the client's connection closes. */
export function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => {
    if (!client.connected) return resolve();
    client.once('close', () => resolve());
  });
}
