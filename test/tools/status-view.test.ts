import { describe, expect, it } from 'vitest';
import type { Status } from '../../lib/status-payload.js';
import { parseSettle } from '../../tools/commands/status.js';
import { UsageError } from '../../tools/client/errors.js';
import {
  formatAge,
  renderChangeJson,
  renderChangeLine,
  renderTable,
} from '../../tools/client/status-view.js';

const NOW = new Date('2026-12-03T12:00:00Z');

function status(fields: Partial<Status>): Status {
  return {
    service: 'backup',
    check: null,
    id: 'id-1',
    severity: 'ok',
    message: '',
    timestamp: '2026-12-03T11:59:30Z',
    receivedAt: '2026-12-03T11:59:30Z',
    acknowledged: false,
    ...fields,
  };
}

describe('the status table', () => {
  it.each([
    ['2026-12-03T12:00:00Z', '0s'],
    ['2026-12-03T11:59:01Z', '59s'],
    ['2026-12-03T11:59:00Z', '1m'],
    ['2026-12-03T11:00:01Z', '59m'],
    ['2026-12-03T11:00:00Z', '1h'],
    ['2026-12-02T12:00:01Z', '23h'],
    ['2026-12-02T12:00:00Z', '1d'],
    ['2026-12-03T12:05:00Z', '0s'],
    ['not a time', '?'],
  ])('shows a report made at %s as %s old', (timestamp, age) => {
    expect(formatAge(timestamp, NOW)).toBe(age);
  });

  it('aligns the columns and keeps each message on one line', () => {
    const text = renderTable(
      [
        status({ check: 'disk', severity: 'major', message: 'disk 97%\nfull' }),
        status({
          service: 'web-01',
          severity: 'minor',
          acknowledged: true,
          acknowledgedBy: 'monitor',
          stale: true,
          timestamp: '2026-12-03T10:00:00Z',
          message: 'x'.repeat(80),
        }),
      ],
      NOW,
    );

    expect(text).toBe(
      [
        'SERVICE  CHECK  SEVERITY  AGE  ACK            STALE  MESSAGE',
        'backup   disk   major     30s  no             no     disk 97% full',
        `web-01   -      minor     2h   yes (monitor)  yes    ${'x'.repeat(59)}…`,
        '',
      ].join('\n'),
    );
  });

  it('says so when there is no status at all', () => {
    expect(renderTable([], NOW)).toBe('no statuses\n');
  });
});

describe('change lines for --watch', () => {
  const topic = 'piminder/status/backup/disk';
  const current = status({ check: 'disk', severity: 'major', message: 'disk "97%"', stale: true });

  it('prints a set as time, key, severity, quoted message and flags', () => {
    const change = { kind: 'set' as const, topic, status: current, previous: undefined };

    const line = renderChangeLine(change, NOW);

    expect(line).toBe(
      '2026-12-03T12:00:00.000Z backup/disk major "disk \\"97%\\"" unacknowledged stale',
    );
  });

  it('prints a clear with the key of the removed status', () => {
    const line = renderChangeLine({ kind: 'delete', topic, previous: current }, NOW);

    expect(line).toBe('2026-12-03T12:00:00.000Z backup/disk cleared');
  });

  it('prints JSON lines that carry the whole status', () => {
    const change = { kind: 'set' as const, topic, status: current, previous: undefined };
    const set = JSON.parse(renderChangeJson(change));
    const cleared = JSON.parse(renderChangeJson({ kind: 'delete', topic, previous: current }));

    expect(set).toEqual({ change: 'set', topic, status: current });
    expect(cleared).toEqual({ change: 'delete', topic, previous: current });
  });
});

describe('the --settle option', () => {
  it('defaults to 500 ms and takes whole milliseconds up to a minute', () => {
    expect(parseSettle(undefined)).toBe(500);
    expect(parseSettle('1')).toBe(1);
    expect(parseSettle('60000')).toBe(60_000);
  });

  it.each(['0', '60001', '1.5', '-1', 'soon', ''])('refuses %j as wrong usage', (text) => {
    expect(() => parseSettle(text)).toThrow(UsageError);
    expect(() => parseSettle(text)).toThrow('--settle must be a whole number of ms from 1 to');
  });
});
