import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES } from '../../lib/roles.js';
import { certPaths, initCa, issueClient } from '../../tools/certs/store.js';
import { tempDir } from '../helpers/temp-dir.js';
import { KEYGEN_TIMEOUT, certText, modeOf, openssl } from './support.js';

const folder = tempDir('certs-openssl');
const paths = certPaths(folder.path);

beforeAll(async () => {
  await initCa(folder.path, { sans: ['192.168.1.50', 'mqtt.example.org', 'fd00::5'] });
  for (const role of ROLES) await issueClient(folder.path, `client-${role}`, role);
}, KEYGEN_TIMEOUT);

afterAll(() => folder.remove());

describe('files checked by openssl itself', { timeout: KEYGEN_TIMEOUT }, () => {
  it('verifies the server and every client certificate against ca.crt', async () => {
    const files = [paths.serverCert, ...ROLES.map((role) => paths.clientCert(`client-${role}`))];
    for (const file of files) {
      const run = await openssl(['verify', '-CAfile', paths.caCert, file]);
      expect(run.stdout.trim()).toBe(`${file}: OK`);
      expect(run.code).toBe(0);
    }
  });

  it('verifies the server for the TLS server purpose, clients for the client one', async () => {
    const verify = (purpose: string, file: string) =>
      openssl(['verify', '-purpose', purpose, '-CAfile', paths.caCert, file]);
    const client = paths.clientCert('client-service');

    expect((await verify('sslserver', paths.serverCert)).code).toBe(0);
    expect((await verify('sslclient', client)).code).toBe(0);
    const clientAsServer = await verify('sslserver', client);
    expect(clientAsServer.code).not.toBe(0);
    expect(clientAsServer.stderr).toContain('unsuitable certificate purpose');
    const serverAsClient = await verify('sslclient', paths.serverCert);
    expect(serverAsClient.code).not.toBe(0);
    expect(serverAsClient.stderr).toContain('unsuitable certificate purpose');
  });

  it('makes the CA a CA that signs certificates and CRLs, with no extended key usage', async () => {
    const text = await certText(paths.caCert);
    expect(text).toMatch(/Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    expect(text).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign\n/);
    expect(text).not.toContain('Extended Key Usage');
    expect(text).toContain('Subject: CN = Piminder CA, O = Piminder');
  });

  it('gives the server serverAuth and SANs: loopback, this host, --san (DNS, IP)', async () => {
    const text = await certText(paths.serverCert);
    expect(text).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature, Key Encipherment\n/);
    expect(text).toMatch(/Extended Key Usage: \s*\n\s+TLS Web Server Authentication\n/);
    const sans = /Subject Alternative Name: \s*\n\s+(.*)\n/.exec(text)?.[1]?.split(', ');
    expect(sans).toEqual(
      expect.arrayContaining([
        'DNS:localhost',
        'IP Address:127.0.0.1',
        'IP Address:0:0:0:0:0:0:0:1',
        'IP Address:192.168.1.50',
        'DNS:mqtt.example.org',
        'IP Address:FD00:0:0:0:0:0:0:5',
      ]),
    );
  });

  it('gives each client CN=<name>, OU=<role>, clientAuth only and no SANs', async () => {
    for (const role of ROLES) {
      const text = await certText(paths.clientCert(`client-${role}`));
      expect(text).toContain(`Subject: CN = client-${role}, OU = ${role}, O = Piminder`);
      expect(text).toMatch(/Extended Key Usage: \s*\n\s+TLS Web Client Authentication\n/);
      expect(text).not.toContain('Server Authentication');
      expect(text).not.toContain('Subject Alternative Name');
      expect(text).toMatch(/Key Usage: critical\s+Digital Signature, Key Encipherment\n/);
    }
  });

  it('writes serials that openssl reads as positive numbers of at least 64 bits', async () => {
    for (const file of [paths.caCert, paths.serverCert, paths.clientCert('client-admin')]) {
      const text = await certText(file);
      expect(text).not.toContain('(Negative)');
      const serial = (await openssl(['x509', '-in', file, '-noout', '-serial'])).stdout.trim();
      expect(serial).toMatch(/^serial=[0-7][0-9A-F]{31}$/);
    }
  });

  it('writes every private key with mode 0600 and certificates readable by all', () => {
    const clientKeys = ROLES.map((role) => paths.clientKey(`client-${role}`));
    const keys = [paths.caKey, paths.serverKey, ...clientKeys];
    for (const key of keys) expect(modeOf(key).toString(8)).toBe('600');
    for (const cert of [paths.caCert, paths.serverCert, paths.crl]) {
      expect(modeOf(cert).toString(8)).toBe('644');
    }
  });

  it('gives the CA 10 years and leaf certificates 397 days by default', async () => {
    const end = async (file: string) => {
      const line = (await openssl(['x509', '-in', file, '-noout', '-enddate'])).stdout;
      return new Date(line.trim().replace('notAfter=', ''));
    };
    const days = (date: Date) => Math.round((date.getTime() - Date.now()) / 86_400_000);
    expect(days(await end(paths.caCert))).toBe(3650);
    expect(days(await end(paths.serverCert))).toBe(397);
    expect(days(await end(paths.clientCert('client-monitor')))).toBe(397);
  });

  it('matches each key to its certificate', async () => {
    const modulus = async (args: string[]) =>
      (await openssl([...args, '-noout', '-modulus'])).stdout;
    const cert = await modulus(['x509', '-in', paths.clientCert('client-bridge')]);
    const key = await modulus(['rsa', '-in', paths.clientKey('client-bridge')]);
    expect(cert).toMatch(/^Modulus=[0-9A-F]{512}\n$/);
    expect(key).toBe(cert);
  });
});

describe('a CA valid beyond 2049', { timeout: KEYGEN_TIMEOUT }, () => {
  const late = tempDir('certs-2051');
  afterAll(() => late.remove());

  it('encodes notAfter from 2050 on as GeneralizedTime, which openssl reads as 2051', async () => {
    await initCa(late.path, { days: 9000 });
    const caCert = certPaths(late.path).caCert;
    const end = await openssl(['x509', '-in', caCert, '-noout', '-enddate']);
    const expected = new Date(Date.now() + 9000 * 86_400_000).getUTCFullYear();
    expect(expected).toBeGreaterThanOrEqual(2050);
    expect(end.stdout).toMatch(new RegExp(`^notAfter=.* ${expected} GMT\\n$`));

    const parsed = await openssl(['asn1parse', '-in', caCert]);
    expect(parsed.stdout).toMatch(/UTCTIME\s+:\d{12}Z\n.*GENERALIZEDTIME\s+:20\d{12}Z/);
    const verified = await openssl(['verify', '-CAfile', caCert, certPaths(late.path).serverCert]);
    expect(verified.code).toBe(0);
  });
});
