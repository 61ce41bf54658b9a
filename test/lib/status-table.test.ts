import { describe, expect, it } from 'vitest';
import type { Status } from '../../lib/status-payload.js';
import { effectiveSeverity, StatusTable, type TableChange } from '../../lib/status-table.js';

function status(service: string, severity: Status['severity'], extra: Partial<Status> = {}) {
  const value: Status = {
    service,
    check: null,
    id: `${service}-1`,
    severity,
    message: '',
    timestamp: '2026-12-03T12:00:00Z',
    receivedAt: '2026-12-03T12:00:00Z',
    acknowledged: false,
    ...extra,
  };
  return Buffer.from(JSON.stringify(value));
}

describe('the status table', () => {
  it('keeps statuses from messages and removes them on an empty payload', () => {
    const table = new StatusTable('piminder');
    const changes: TableChange['kind'][] = [];
    table.on('change', (change) => changes.push(change.kind));

    table.apply('piminder/status/a', status('a', 'minor'));
    table.apply('piminder/status/a', new Uint8Array());
    table.apply('piminder/status/a', new Uint8Array());
    expect(table.size).toBe(0);
    expect(changes).toEqual(['set', 'delete']);
  });

  it('ignores other topics and reports payloads it cannot read', () => {
    const table = new StatusTable('piminder');
    const ignored: string[] = [];
    table.on('ignored', (topic, reason) => ignored.push(`${topic}: ${reason}`));

    table.apply('piminder/ack/a', status('a', 'major'));
    table.apply('piminder/status/b', Buffer.from('{"severity":"major"}'));
    expect(table.size).toBe(0);
    expect(ignored).toEqual([
      expect.stringMatching(/^piminder\/status\/b: status: service is missing/),
    ]);
  });

  it('lists the most severe first, counting stale as at least minor', () => {
    const table = new StatusTable('piminder');
    table.apply('piminder/status/a', status('a', 'info'));
    table.apply('piminder/status/b', status('b', 'major'));
    table.apply('piminder/status/c', status('c', 'ok', { stale: true }));
    expect(table.list().map((s) => s.service)).toEqual(['b', 'c', 'a']);
    expect(effectiveSeverity(table.get('piminder/status/c')!)).toBe('minor');
  });
});
