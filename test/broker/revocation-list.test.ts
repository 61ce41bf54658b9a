import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { revokedSerials } from '../../broker/revocation-list.js';
import { BrokerError } from '../../broker/errors.js';
import { revoke } from '../../tools/certs/store.js';
import { startTestBroker } from '../helpers/broker.js';
import { createTestPki, type TestPki } from '../helpers/pki.js';
import { tempDir } from '../helpers/temp-dir.js';

// The broker reads the revoked serials with asn1js; the certificate tool writes CRLs with
// @peculiar/x509. Both must agree on every CRL the tool can write.

let dir: ReturnType<typeof tempDir>;
let pki: TestPki;

beforeAll(async () => {
  dir = tempDir('crl-read');
  pki = await createTestPki(join(dir.path, 'certs'), [
    ['svc-a', 'service'],
    ['svc-b', 'service'],
    ['svc-c', 'service'],
    ['monitor', 'monitor'],
  ]);
}, 60_000);

afterAll(() => dir?.remove());

const crlFile = () => join(pki.dir, 'crl.pem');

/** The serials as the library that wrote the CRL reads them, in the broker's notation. */
function serialsByX509(pem: Buffer): string[] {
  const crl = new x509.X509Crl(pem.toString('utf8'));
  return crl.entries.map((entry) => entry.serialNumber.toLowerCase().replace(/^0+/, '')).sort();
}

describe('reading the revoked serials of a CRL', () => {
  it('finds none in a new CRL, then each serial the tool revokes', async () => {
    expect([...revokedSerials(readFileSync(crlFile()))]).toEqual([]);

    const revoked: string[] = [];
    for (const name of ['svc-a', 'svc-c', 'monitor']) {
      const entry = await revoke(pki.dir, name);
      revoked.push(entry.serial.toLowerCase().replace(/^0+/, ''));

      const pem = readFileSync(crlFile());
      const read = [...revokedSerials(pem)].sort();
      expect(read).toEqual([...revoked].sort());
      expect(read).toEqual(serialsByX509(pem));
    }
  }, 60_000);

  it.each([
    ['no PEM block at all', 'not a CRL'],
    ['a certificate instead of a CRL', 'CERTIFICATE'],
    ['a CRL block holding no DER', '-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n'],
    ['a CRL cut in half', 'HALF'],
  ])('refuses %s with a reason', (_what, content) => {
    const whole = readFileSync(crlFile(), 'utf8');
    const text =
      content === 'CERTIFICATE'
        ? pki.ca.toString('utf8')
        : content === 'HALF'
          ? `${whole.slice(0, whole.length / 2)}\n-----END X509 CRL-----\n`
          : content;

    let caught: unknown;
    try {
      revokedSerials(Buffer.from(text));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BrokerError);
    expect((caught as BrokerError).code).toBe('PIMINDER_ERR_BROKER_CRL_UNREADABLE');
    expect((caught as Error).message).toMatch(/^crl\.pem is not a readable CRL: \S/);
  });

  it('keeps a broker from starting on an unreadable crl.pem, naming the file', async () => {
    const good = readFileSync(crlFile());
    writeFileSync(crlFile(), 'garbage');
    try {
      const started = startTestBroker({ certsDir: pki.dir, dataDir: join(dir.path, 'data') });
      await expect(started).rejects.toThrow(/crl\.pem is not a readable CRL/);
    } finally {
      writeFileSync(crlFile(), good);
    }
  });
});
