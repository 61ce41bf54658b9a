import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCa, issueClientCertificate, randomSerial } from '../../tools/certs/pki.js';
import type { CaMaterial } from '../../tools/certs/pki.js';
import { tempDir } from '../helpers/temp-dir.js';
import { KEYGEN_TIMEOUT, openssl } from './support.js';

const folder = tempDir('certs-serials');
let ca: CaMaterial;

beforeAll(async () => {
  ca = await createCa({ cn: 'Serial Test CA', days: 30 });
}, KEYGEN_TIMEOUT);

afterAll(() => folder.remove());

/**
 * DER INTEGERs are two's complement: the content is positive when the first byte's top bit
 * is clear, and minimal when no leading 0x00 precedes a byte that would be positive anyway.
 */
function expectPositiveMinimal(content: Buffer): void {
  expect(content.length).toBeGreaterThanOrEqual(8);
  expect(content[0] as number).toBeLessThan(0x80);
  if (content[0] === 0) expect(content[1] as number).toBeGreaterThanOrEqual(0x80);
}

/** The serial INTEGER of a certificate, straight from its DER: TBSCertificate, field 2. */
function serialContent(certPem: string): { tag: number; content: Buffer } {
  const der = forge.pem.decode(certPem)[0]?.body ?? '';
  const certificate = forge.asn1.fromDer(der);
  const tbs = (certificate.value as forge.asn1.Asn1[])[0];
  const serial = (tbs?.value as forge.asn1.Asn1[])[1];
  return { tag: serial?.type ?? -1, content: Buffer.from(String(serial?.value), 'binary') };
}

describe('serial numbers', { timeout: KEYGEN_TIMEOUT }, () => {
  it('draws positive, minimal serials of 127 random bits, whatever the first byte', () => {
    const firstBytes = new Set<number>();
    const wrong: string[] = [];
    for (let draw = 0; draw < 20_000; draw += 1) {
      const serial = randomSerial();
      const first = Number.parseInt(serial.slice(0, 2), 16);
      if (!/^[0-9a-f]{32}$/.test(serial) || first === 0 || first >= 0x80) wrong.push(serial);
      firstBytes.add(first);
    }
    expect(wrong).toEqual([]);
    // Every positive first byte turns up, so the top bit is cleared, not the draw rejected.
    expect(firstBytes.size).toBe(0x7f);
  });

  it('writes real certificates whose serial openssl reads as a positive INTEGER', async () => {
    const issued = await Promise.all(
      Array.from({ length: 8 }, (_, n) =>
        issueClientCertificate(ca, { name: `device-${n}`, role: 'service', days: 1 }),
      ),
    );
    for (const [n, cert] of issued.entries()) {
      const { tag, content } = serialContent(cert.certPem);
      expect(tag).toBe(forge.asn1.Type.INTEGER);
      expectPositiveMinimal(content);
      expect(content.toString('hex')).toBe(cert.serial);

      const file = join(folder.path, `device-${n}.crt`);
      writeFileSync(file, cert.certPem);
      const printed = await openssl(['x509', '-in', file, '-noout', '-serial']);
      expect(printed.stdout.trim()).toBe(`serial=${cert.serial.toUpperCase()}`);
      const parsed = await openssl(['asn1parse', '-in', file]);
      const integers = [...parsed.stdout.matchAll(/prim: INTEGER\s+:(-?[0-9A-F]+)/g)];
      expect(integers[1]?.[1]).toBe(cert.serial.toUpperCase());
    }
    expect(new Set(issued.map((cert) => cert.serial)).size).toBe(issued.length);
  });
});
