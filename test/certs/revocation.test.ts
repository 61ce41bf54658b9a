import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readIndex } from '../../tools/certs/cert-index.js';
import { renewClient, renewServer } from '../../tools/certs/renew.js';
import { showCertificate } from '../../tools/certs/show.js';
import { certPaths, initCa, issueClient, revoke } from '../../tools/certs/store.js';
import { tempDir } from '../helpers/temp-dir.js';
import { KEYGEN_TIMEOUT, certText, openssl } from './support.js';

const folder = tempDir('certs-revoke');
const dir = folder.path;
const paths = certPaths(dir);

beforeAll(async () => {
  await initCa(dir);
}, KEYGEN_TIMEOUT);

afterAll(() => folder.remove());

async function crlText(): Promise<string> {
  const run = await openssl(['crl', '-in', paths.crl, '-CAfile', paths.caCert, '-noout', '-text']);
  expect(run.stderr).toContain('verify OK');
  expect(run.code).toBe(0);
  return run.stdout;
}

function revokedSerials(text: string): string[] {
  return [...text.matchAll(/Serial Number: ([0-9A-F]+)/g)].map((match) => match[1] ?? '');
}

describe('revocation and the CRL', { timeout: KEYGEN_TIMEOUT }, () => {
  it('starts with an empty CRL signed by the CA', async () => {
    const text = await crlText();
    expect(text).toContain('No Revoked Certificates.');
    expect(text).toContain('Issuer: CN = Piminder CA, O = Piminder');
  });

  it('lists revoked serials in a CRL that openssl verifies, every one of them', async () => {
    const first = await issueClient(dir, 'sensor-1', 'service');
    const second = await issueClient(dir, 'sensor-2', 'service');
    await issueClient(dir, 'sensor-3', 'service');

    await revoke(dir, 'sensor-1');
    expect(revokedSerials(await crlText())).toEqual([first.serial.toUpperCase()]);

    const colons = second.serial.toUpperCase().match(/../g)?.join(':') ?? '';
    const revoked = await revoke(dir, colons);
    expect(revoked.name).toBe('sensor-2');
    expect(revokedSerials(await crlText())).toEqual(
      [first.serial, second.serial].map((serial) => serial.toUpperCase()),
    );

    const index = await readIndex(dir);
    const statuses = index.entries
      .filter((entry) => entry.kind === 'client')
      .map((entry) => [entry.name, entry.status]);
    expect(statuses).toEqual([
      ['sensor-1', 'revoked'],
      ['sensor-2', 'revoked'],
      ['sensor-3', 'active'],
    ]);
  });

  it('makes openssl verify -crl_check refuse the revoked one and pass the others', async () => {
    const check = (name: string) =>
      openssl(['verify', '-crl_check', '-CAfile', paths.caCert, '-CRLfile', paths.crl,
        paths.clientCert(name)]);
    const revoked = await check('sensor-1');
    expect(revoked.code).not.toBe(0);
    expect(revoked.stderr).toContain('certificate revoked');
    expect((await check('sensor-3')).code).toBe(0);
  });

  it('reports a revoked certificate as revoked in show, read from the CRL', async () => {
    const shown = await showCertificate(dir, { kind: 'named', value: 'sensor-1' });
    expect(shown.status).toBe('revoked');
    expect(shown.details.commonName).toBe('sensor-1');
  });

  it('can be issued again under a revoked name without --force', async () => {
    const again = await issueClient(dir, 'sensor-1', 'service');
    expect(again.status).toBe('active');
    const shown = await showCertificate(dir, { kind: 'named', value: 'sensor-1' });
    expect(shown.status).toBe('active');
    expect(shown.details.serial).toBe(again.serial.toUpperCase());
  });
});

describe('the CRL over time', { timeout: KEYGEN_TIMEOUT }, () => {
  it('stays valid as long as the CA, so a quiet month never locks every client out', async () => {
    const nextUpdate = await openssl(['crl', '-in', paths.crl, '-noout', '-nextupdate']);
    const caEnd = await openssl(['x509', '-in', paths.caCert, '-noout', '-enddate']);
    const caEndDate = caEnd.stdout.replace('notAfter=', '');
    expect(nextUpdate.stdout.replace('nextUpdate=', '')).toBe(caEndDate);

    // 300 days from now: a client issued today is still valid, and so must the CRL be.
    const later = String(Math.floor(Date.now() / 1000) + 300 * 86_400);
    const verified = await openssl(['verify', '-crl_check', '-attime', later,
      '-CAfile', paths.caCert, '-CRLfile', paths.crl, paths.clientCert('sensor-3')]);
    expect(verified.stderr).toBe('');
    expect(verified.code).toBe(0);
  });
});

describe('renew', { timeout: KEYGEN_TIMEOUT }, () => {
  it('issues a new key and certificate for the same name and role, superseding', async () => {
    const before = await issueClient(dir, 'pi-display', 'monitor');
    const oldKey = readFileSync(paths.clientKey('pi-display'), 'utf8');

    const renewal = await renewClient(dir, 'pi-display');

    expect(renewal.previous.serial).toBe(before.serial);
    expect(renewal.previous.status).toBe('superseded');
    expect(renewal.previous.supersededBy).toBe(renewal.current.serial);
    expect(renewal.current.role).toBe('monitor');
    expect(readFileSync(paths.clientKey('pi-display'), 'utf8')).not.toBe(oldKey);
    const text = await certText(paths.clientCert('pi-display'));
    expect(text).toContain('Subject: CN = pi-display, OU = monitor, O = Piminder');

    // Superseded, not revoked: the device keeps working until it has the new files.
    expect(revokedSerials(await crlText())).not.toContain(before.serial.toUpperCase());
    const old = await showCertificate(dir, { kind: 'named', value: before.serial });
    expect(old.status).toBe('superseded');
    const verified = await openssl(['verify', '-crl_check', '-CAfile', paths.caCert,
      '-CRLfile', paths.crl, paths.issuedCert(before.serial)]);
    expect(verified.code).toBe(0);
  });

  it('revokes the old certificate at once with revokeOld', async () => {
    const before = await issueClient(dir, 'lost-laptop', 'admin');
    const renewal = await renewClient(dir, 'lost-laptop', { revokeOld: true });
    expect(renewal.previous.status).toBe('revoked');
    expect(revokedSerials(await crlText())).toContain(before.serial.toUpperCase());
    expect(revokedSerials(await crlText())).not.toContain(renewal.current.serial.toUpperCase());
  });

  it('renews the server certificate keeping its CN and SANs and adding new ones', async () => {
    const before = await certText(paths.serverCert);
    const renewal = await renewServer(dir, { sans: ['mqtt.lab.example'] });
    const after = await certText(paths.serverCert);

    expect(renewal.current.kind).toBe('server');
    const subject = (text: string) => /Subject: (.*)\n/.exec(text)?.[1];
    expect(subject(after)).toBe(subject(before));
    const sans = (text: string) => /Subject Alternative Name: \s*\n\s+(.*)\n/.exec(text)?.[1];
    expect(sans(after)).toBe(`${sans(before) ?? ''}, DNS:mqtt.lab.example`);
    const verified = await openssl(['verify', '-CAfile', paths.caCert, paths.serverCert]);
    expect(verified.code).toBe(0);
  });
});
