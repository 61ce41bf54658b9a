import { describe, expect, it } from 'vitest';
import { PiminderError } from '../../lib/errors.js';
import { isDnsName, parseSan, parseSans } from '../../tools/certs/sans.js';

const hex = (value: string) => {
  const san = parseSan(value);
  return san.kind === 'ip' ? san.bytes.toString('hex') : `dns:${san.name}`;
};

describe('subject alternative names', () => {
  it('reads IPv4 and IPv6 addresses into the bytes of an iPAddress entry', () => {
    expect(hex('192.168.1.50')).toBe('c0a80132');
    expect(hex('127.0.0.5')).toBe('7f000005');
    expect(hex('::1')).toBe('00000000000000000000000000000001');
    expect(hex('fd00::5')).toBe('fd000000000000000000000000000005');
    expect(hex('2001:db8::8:800:200c:417a')).toBe('20010db80000000000080800200c417a');
    expect(hex('::ffff:192.168.1.5')).toBe('00000000000000000000ffffc0a80105');
    expect(hex('1::')).toBe('00010000000000000000000000000000');
    expect(hex('::')).toBe('00000000000000000000000000000000');
  });

  it('reads DNS names, wildcards included, in lower case', () => {
    expect(hex('MQTT.Example.org')).toBe('dns:mqtt.example.org');
    expect(hex('*.lab.example')).toBe('dns:*.lab.example');
    expect(hex('localhost')).toBe('dns:localhost');
    expect(isDnsName(`${'a'.repeat(63)}.example`)).toBe(true);
  });

  it('refuses anything else with the fix in the message', () => {
    const bad = ['192.168.1.300', 'fe80::1%eth0', '-lead.example', 'trail-.example', 'a..b',
      'under_score.example', `${'a'.repeat(64)}.example`, 'x.*.example', '', ' ', 'a b'];
    for (const value of bad) {
      let caught: unknown;
      try {
        parseSan(value);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(PiminderError);
      expect((caught as PiminderError).code).toBe('PIMINDER_ERR_CERTS_BAD_SAN');
      const line = (caught as PiminderError).toLine();
      expect(line).toContain('is neither an IP address nor a DNS name');
    }
  });

  it('drops repeats, including one address in two spellings', () => {
    const sans = parseSans(['::1', '0:0:0:0:0:0:0:1', 'localhost', 'LOCALHOST', '127.0.0.1']);
    expect(sans.map((san) => (san.kind === 'ip' ? san.address : san.name))).toEqual([
      '::1',
      'localhost',
      '127.0.0.1',
    ]);
  });
});
