import { describe, expect, it } from 'vitest';
import { conditionsOf, type LinkState } from '../../monitor/conditions.js';
import type { Status } from '../../lib/status-payload.js';
import { statusOf } from './status-fixtures.js';

function held(statuses: Status[], link: LinkState = 'up'): string[] {
  return [...conditionsOf(statuses, link)].sort();
}

describe('conditions', () => {
  it('is all-clear with no statuses on a link that is up', () => {
    expect(held([])).toEqual(['all-clear']);
  });

  it('is all-clear when every status is ok or acknowledged', () => {
    const statuses = [
      statusOf({ service: 'a', severity: 'ok' }),
      statusOf({ service: 'b', severity: 'major', acknowledged: true }),
    ];
    expect(held(statuses)).toEqual(['all-clear']);
  });

  it('names only the highest unacknowledged severity', () => {
    const statuses = [
      statusOf({ service: 'a', severity: 'info' }),
      statusOf({ service: 'b', severity: 'minor' }),
      statusOf({ service: 'c', severity: 'major', acknowledged: true }),
    ];
    expect(held(statuses)).toEqual(['minor']);
    expect(held([statusOf({ service: 'a', severity: 'info' })])).toEqual(['info']);
    expect(held([...statuses, statusOf({ service: 'd', severity: 'major' })])).toEqual(['major']);
  });

  it('counts a stale ok or info status as minor, and as stale', () => {
    expect(held([statusOf({ service: 'a', severity: 'ok', stale: true })])).toEqual([
      'minor',
      'stale',
    ]);
    expect(held([statusOf({ service: 'a', severity: 'major', stale: true })])).toEqual([
      'major',
      'stale',
    ]);
  });

  it('lets an acknowledgement silence a stale status', () => {
    const stale = statusOf({ service: 'a', severity: 'ok', stale: true, acknowledged: true });
    expect(held([stale])).toEqual(['all-clear']);
  });

  it('never shows all-clear before the replay arrived or while the link is down', () => {
    expect(held([], 'syncing')).toEqual([]);
    expect(held([], 'down')).toEqual(['link-down']);
  });

  it('keeps the last known alarms while the link is down', () => {
    expect(held([statusOf({ service: 'a', severity: 'major' })], 'down')).toEqual([
      'link-down',
      'major',
    ]);
  });
});
