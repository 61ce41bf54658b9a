import { describe, expect, it } from 'vitest';
import { planAction } from '../../monitor/actions.js';
import { statusOf } from './status-fixtures.js';

const disk = statusOf({ service: 'nas', check: 'disk', severity: 'minor', id: 'disk-1' });
const backup = statusOf({ service: 'backup', severity: 'major', id: 'backup-1' });
const fine = statusOf({ service: 'web', severity: 'ok', id: 'web-1' });
const acked = statusOf({ service: 'dns', severity: 'major', acknowledged: true, id: 'dns-1' });
const stale = statusOf({ service: 'cron', severity: 'ok', stale: true, id: 'cron-1' });
/** In StatusTable.list() order: most severe first. */
const TABLE = [backup, acked, disk, stale, fine];

describe('button actions', () => {
  it('ack-all acknowledges every active status by id, including stale ones', () => {
    expect(planAction('ack-all', TABLE, 'piminder')).toEqual([
      { topic: 'piminder/ack/backup', payload: '{"id":"backup-1"}', retain: false },
      { topic: 'piminder/ack/nas/disk', payload: '{"id":"disk-1"}', retain: false },
      { topic: 'piminder/ack/cron', payload: '{"id":"cron-1"}', retain: false },
    ]);
  });

  it('ack-top acknowledges only the most severe active status', () => {
    expect(planAction('ack-top', TABLE, 'site')).toEqual([
      { topic: 'site/ack/backup', payload: '{"id":"backup-1"}', retain: false },
    ]);
  });

  it('clear-acked clears acknowledged statuses with a zero-length retained publish', () => {
    expect(planAction('clear-acked', TABLE, 'piminder')).toEqual([
      { topic: 'piminder/status/dns', payload: '', retain: true },
    ]);
  });

  it('does nothing when there is nothing to do', () => {
    expect(planAction('ack-all', [fine, acked], 'piminder')).toEqual([]);
    expect(planAction('ack-top', [], 'piminder')).toEqual([]);
    expect(planAction('clear-acked', [fine], 'piminder')).toEqual([]);
  });
});
