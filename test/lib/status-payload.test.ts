import { describe, expect, it } from 'vitest';
import {
  MAX_MESSAGE_BYTES,
  parseAck,
  parseReport,
  PayloadError,
} from '../../lib/status-payload.js';

function reasonOf(payload: string | Uint8Array): string {
  try {
    parseReport(payload);
  } catch (error) {
    expect(error).toBeInstanceOf(PayloadError);
    return (error as PayloadError).message;
  }
  throw new Error('payload was accepted');
}

describe('status reports', () => {
  it('accepts a minimal report and keeps its fields', () => {
    expect(parseReport('{"severity":"minor","message":"disk 91%"}')).toEqual({
      severity: 'minor',
      message: 'disk 91%',
    });
  });

  it('accepts an RFC 3339 timestamp with an offset and a ttl', () => {
    const report = parseReport(
      JSON.stringify({
        severity: 'ok',
        message: '',
        timestamp: '2026-12-03T10:00:00+01:00',
        ttl: 90,
      }),
    );
    expect(report.ttl).toBe(90);
    expect(report.timestamp).toBe('2026-12-03T10:00:00+01:00');
  });

  it.each([
    ['not JSON', '{severity', 'not valid JSON'],
    ['an array', '[]', 'must be a JSON object'],
    ['an unknown severity', '{"severity":"fatal","message":""}', 'severity must be one of'],
    ['a missing message', '{"severity":"ok"}', 'message is missing'],
    ['a numeric message', '{"severity":"ok","message":5}', 'message must be a string'],
    ['an unknown field', '{"severity":"ok","message":"","colour":1}', 'unknown field colour'],
    [
      'a date without offset',
      '{"severity":"ok","message":"","timestamp":"2026-12-03"}',
      'timestamp',
    ],
    ['a zero ttl', '{"severity":"ok","message":"","ttl":0}', 'ttl must be more than 0'],
    ['a negative ttl', '{"severity":"ok","message":"","ttl":-5}', 'ttl must be more than 0'],
    ['a ttl over a year', '{"severity":"ok","message":"","ttl":40000000}', 'ttl must be at most'],
  ])('refuses %s, naming the reason', (_label, payload, reason) => {
    expect(reasonOf(payload)).toContain(reason);
  });

  it('refuses a message longer than 4 KiB of UTF-8, counted in bytes', () => {
    const fits = 'é'.repeat(MAX_MESSAGE_BYTES / 2);
    expect(parseReport(JSON.stringify({ severity: 'ok', message: fits })).message).toBe(fits);
    const over = `${fits}x`;
    expect(reasonOf(JSON.stringify({ severity: 'ok', message: over }))).toContain('at most 4096');
  });

  it('refuses bytes that are not UTF-8', () => {
    expect(reasonOf(Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d]))).toContain('not valid UTF-8');
  });
});

describe('acknowledgements', () => {
  it('takes an empty payload as "whatever is current"', () => {
    expect(parseAck(new Uint8Array())).toBeUndefined();
  });

  it('takes an id', () => {
    expect(parseAck('{"id":"abc"}')).toEqual({ id: 'abc' });
  });

  it('takes the name a bridge acknowledges for, and refuses one that is not a name', () => {
    expect(parseAck('{"id":"abc","by":"alice"}')).toEqual({ id: 'abc', by: 'alice' });
    expect(() => parseAck('{"id":"abc","by":"a/b"}')).toThrow(/by must be/);
  });

  it('refuses an object without an id', () => {
    expect(() => parseAck('{}')).toThrow(/id is missing/);
  });
});
