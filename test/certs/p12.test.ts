import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportP12 } from '../../tools/certs/p12.js';
import { certPaths, initCa, issueClient } from '../../tools/certs/store.js';
import { tempDir } from '../helpers/temp-dir.js';
import { KEYGEN_TIMEOUT, modeOf, openssl } from './support.js';

const folder = tempDir('certs-p12');
const dir = folder.path;
const paths = certPaths(dir);

beforeAll(async () => {
  await initCa(dir);
  await issueClient(dir, 'pi-display', 'monitor');
}, KEYGEN_TIMEOUT);

afterAll(() => folder.remove());

/** Reads a bundle with OpenSSL 3's default provider only: no -legacy. */
function pkcs12(file: string, password: string, ...args: string[]) {
  return openssl(['pkcs12', '-in', file, '-passin', `pass:${password}`, ...args]);
}

async function modulus(kind: 'x509' | 'rsa', pem: string): Promise<string> {
  const file = join(dir, `modulus-${kind}.pem`);
  writeFileSync(file, pem);
  return (await openssl([kind, '-in', file, '-noout', '-modulus'])).stdout;
}

describe('PKCS#12 export', { timeout: KEYGEN_TIMEOUT }, () => {
  it('writes a 0600 bundle that openssl opens, with the client, its key and the CA', async () => {
    const file = join(dir, 'pi-display.p12');
    await exportP12(dir, 'pi-display', file, { password: 'correct horse' });
    expect(modeOf(file).toString(8)).toBe('600');

    const certs = await pkcs12(file, 'correct horse', '-nokeys');
    expect(certs.code).toBe(0);
    const subjects = [...certs.stdout.matchAll(/^subject=(.*)$/gm)].map((match) => match[1]);
    expect(subjects).toEqual([
      'CN = pi-display, OU = monitor, O = Piminder',
      'CN = Piminder CA, O = Piminder',
    ]);
    expect(certs.stdout).toContain('friendlyName: pi-display');

    const key = await pkcs12(file, 'correct horse', '-nocerts', '-nodes');
    expect(key.code).toBe(0);
    const keyPem = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(key.stdout);
    const fromBundle = await modulus('rsa', `${keyPem?.[0] ?? ''}\n`);
    const certPem = readFileSync(paths.clientCert('pi-display'), 'utf8');
    expect(fromBundle).toMatch(/^Modulus=[0-9A-F]{512}\n$/);
    expect(fromBundle).toBe(await modulus('x509', certPem));
  });

  it('encrypts the key with PBES2, PBKDF2-HMAC-SHA256 and AES-256 by default', async () => {
    const file = join(dir, 'aes.p12');
    await exportP12(dir, 'pi-display', file, { password: 'pw' });
    const info = await pkcs12(file, 'pw', '-info', '-noout');
    expect(info.code).toBe(0);
    expect(info.stderr).toContain('PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256');
    expect(info.stderr).toContain('MAC: sha1, Iteration 2048');
  });

  it('offers 3DES for older devices, which OpenSSL 3 still opens without -legacy', async () => {
    const file = join(dir, '3des.p12');
    await exportP12(dir, 'pi-display', file, { password: 'pw', algorithm: '3des' });
    const info = await pkcs12(file, 'pw', '-info', '-noout');
    expect(info.code).toBe(0);
    expect(info.stderr).toContain('pbeWithSHA1And3-KeyTripleDES-CBC');
  });

  it('opens with a password made of every printable ASCII character', async () => {
    const file = join(dir, 'ascii.p12');
    const password = Array.from({ length: 95 }, (_, code) => String.fromCharCode(code + 0x20));
    await exportP12(dir, 'pi-display', file, { password: password.join('') });
    const key = await pkcs12(file, password.join(''), '-nocerts', '-nodes');
    expect(key.code).toBe(0);
    expect(key.stdout).toContain('-----BEGIN PRIVATE KEY-----');
  });

  it('opens only with the right password', async () => {
    const file = join(dir, 'secret.p12');
    await exportP12(dir, 'pi-display', file, { password: 'right' });
    const wrong = await pkcs12(file, 'wrong', '-noout');
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/mac verify failure|Mac verify error/i);
  });

  it('replaces an existing bundle only with force, and keeps the mode 0600', async () => {
    const file = join(dir, 'replace.p12');
    writeFileSync(file, 'old', { mode: 0o644 });
    await exportP12(dir, 'pi-display', file, { password: 'pw', force: true });
    expect(modeOf(file).toString(8)).toBe('600');
    expect((await pkcs12(file, 'pw', '-noout')).code).toBe(0);
  });
});
