import type { Status } from '../../lib/status-payload.js';

let counter = 0;

/** A normalised status as the broker delivers it, with the given fields changed. */
export function statusOf(fields: Partial<Status> & Pick<Status, 'service'>): Status {
  counter += 1;
  return {
    check: null,
    id: `id-${counter}`,
    severity: 'major',
    message: 'disk full',
    timestamp: '2026-12-03T10:00:00.000Z',
    receivedAt: '2026-12-03T10:00:00.000Z',
    acknowledged: false,
    ...fields,
  };
}
