import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Status } from '../../lib/status-payload.js';
import { parseTopic } from '../../lib/topics.js';
import { LifecycleError, StatusBook } from '../../broker/status-book.js';

const TOPIC = 'piminder/status/backup/disk';
const PARSED = parseTopic('piminder', TOPIC)!;

let ids = 0;
function newBook(): StatusBook {
  return new StatusBook({ prefix: 'piminder', newId: () => `id-${++ids}` });
}

function reportTo(book: StatusBook, severity: Status['severity'], message: string, ttl?: number) {
  const status = book.normalise(TOPIC, PARSED, { severity, message, ...(ttl ? { ttl } : {}) });
  book.commit(TOPIC, status);
  return status;
}

function failureOf(run: () => unknown): LifecycleError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(LifecycleError);
    return error as LifecycleError;
  }
  throw new Error('no error thrown');
}

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2026-12-03T12:00:00Z') });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('normalising reports', () => {
  it('adds service, check, id, receive time and an unacknowledged flag', () => {
    const status = newBook().normalise(TOPIC, PARSED, { severity: 'major', message: 'failed' });
    expect(status).toEqual({
      service: 'backup',
      check: 'disk',
      id: expect.stringMatching(/^id-/),
      severity: 'major',
      message: 'failed',
      timestamp: '2026-12-03T12:00:00.000Z',
      receivedAt: '2026-12-03T12:00:00.000Z',
      acknowledged: false,
    });
  });

  it('keeps the reporter timestamp and uses null for a service-level status', () => {
    const topic = 'piminder/status/backup';
    const status = newBook().normalise(topic, parseTopic('piminder', topic)!, {
      severity: 'ok',
      message: '',
      timestamp: '2026-12-03T11:59:00+01:00',
    });
    expect(status.check).toBeNull();
    expect(status.timestamp).toBe('2026-12-03T11:59:00+01:00');
  });

  it('keeps the acknowledgement and id of a repeat and refreshes its times', () => {
    const book = newBook();
    const first = reportTo(book, 'minor', 'disk 91%', 60);
    book.commit(TOPIC, book.acknowledge(TOPIC, 'pi'));
    vi.advanceTimersByTime(30_000);

    const repeat = reportTo(book, 'minor', 'disk 91%', 60);
    expect(repeat.id).toBe(first.id);
    expect(repeat.acknowledged).toBe(true);
    expect(repeat.acknowledgedBy).toBe('pi');
    expect(repeat.receivedAt).toBe('2026-12-03T12:00:30.000Z');
  });

  it.each([
    ['severity', 'major', 'disk 91%'],
    ['message', 'minor', 'disk 95%'],
  ])('resets the acknowledgement when the %s changes', (_what, severity, message) => {
    const book = newBook();
    const first = reportTo(book, 'minor', 'disk 91%');
    book.commit(TOPIC, book.acknowledge(TOPIC, 'pi'));

    const changed = reportTo(book, severity as Status['severity'], message);
    expect(changed.id).not.toBe(first.id);
    expect(changed.acknowledged).toBe(false);
    expect(changed.acknowledgedBy).toBeUndefined();
  });
});

describe('acknowledging', () => {
  it('marks the current status with who and when', () => {
    const book = newBook();
    const status = reportTo(book, 'major', 'failed');
    vi.advanceTimersByTime(5_000);
    expect(book.acknowledge(TOPIC, 'pi', status.id)).toMatchObject({
      id: status.id,
      acknowledged: true,
      acknowledgedBy: 'pi',
      acknowledgedAt: '2026-12-03T12:00:05.000Z',
    });
  });

  it('returns an already acknowledged status unchanged', () => {
    const book = newBook();
    reportTo(book, 'major', 'failed');
    const acked = book.acknowledge(TOPIC, 'pi');
    book.commit(TOPIC, acked);
    expect(book.acknowledge(TOPIC, 'other')).toBe(acked);
  });

  it('refuses a topic without a status and a stale or unknown id, changing nothing', () => {
    const book = newBook();
    expect(failureOf(() => book.acknowledge(TOPIC, 'pi')).code).toBe('PIMINDER_ERR_ACK_NO_STATUS');

    const status = reportTo(book, 'major', 'failed');
    expect(failureOf(() => book.acknowledge(TOPIC, 'pi', 'id-0')).code).toBe(
      'PIMINDER_ERR_ACK_WRONG_ID',
    );
    expect(book.get(TOPIC)).toBe(status);
  });
});

describe('staleness', () => {
  it('fires once when the ttl runs out without a refresh', () => {
    const book = newBook();
    const stale = vi.fn();
    book.on('stale', stale);
    const status = reportTo(book, 'ok', 'fine', 10);

    vi.advanceTimersByTime(9_999);
    expect(stale).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(stale).toHaveBeenCalledExactlyOnceWith(TOPIC, status);
    vi.advanceTimersByTime(60_000);
    expect(stale).toHaveBeenCalledTimes(1);
  });

  it('restarts the ttl on a refresh', () => {
    const book = newBook();
    const stale = vi.fn();
    book.on('stale', stale);
    reportTo(book, 'ok', 'fine', 10);
    vi.advanceTimersByTime(8_000);
    reportTo(book, 'ok', 'fine', 10);
    vi.advanceTimersByTime(8_000);
    expect(stale).not.toHaveBeenCalled();
    vi.advanceTimersByTime(2_000);
    expect(stale).toHaveBeenCalledTimes(1);
  });

  it('never fires for a cleared status or one already marked stale', () => {
    const book = newBook();
    const stale = vi.fn();
    book.on('stale', stale);
    reportTo(book, 'ok', 'fine', 10);
    book.remove(TOPIC);
    const other = 'piminder/status/web';
    const fresh = book.normalise(other, parseTopic('piminder', other)!, {
      severity: 'ok',
      message: '',
      ttl: 5,
    });
    book.commit(other, { ...fresh, stale: true });
    vi.advanceTimersByTime(60_000);
    expect(stale).not.toHaveBeenCalled();
  });

  it('waits in steps for a ttl longer than a timer can hold', () => {
    const book = newBook();
    const stale = vi.fn();
    book.on('stale', stale);
    reportTo(book, 'ok', 'fine', 30 * 24 * 3600);
    vi.advanceTimersByTime(29 * 24 * 3600 * 1000);
    expect(stale).not.toHaveBeenCalled();
    vi.advanceTimersByTime(24 * 3600 * 1000);
    expect(stale).toHaveBeenCalledTimes(1);
  });

  it('at start-up returns what expired while down and arms the rest, never a stale one', () => {
    const book = newBook();
    const stale = vi.fn();
    book.on('stale', stale);
    const base = book.normalise(TOPIC, PARSED, { severity: 'ok', message: '', ttl: 10 });
    vi.advanceTimersByTime(20_000);

    const expired = book.load([
      ['piminder/status/a', { ...base, service: 'a' }],
      ['piminder/status/b', { ...base, service: 'b', stale: true }],
      ['piminder/status/c', { ...base, service: 'c', ttl: 60 }],
      ['piminder/status/d', { ...base, service: 'd', ttl: undefined }],
    ]);
    expect(expired.map(([topic]) => topic)).toEqual(['piminder/status/a']);
    expect(book.size).toBe(4);

    vi.advanceTimersByTime(40_000);
    expect(stale.mock.calls.map(([topic]) => topic)).toEqual(['piminder/status/c']);
  });

  it('stops every timer on close', () => {
    const book = newBook();
    const stale = vi.fn();
    book.on('stale', stale);
    reportTo(book, 'ok', 'fine', 1);
    book.close();
    vi.advanceTimersByTime(5_000);
    expect(stale).not.toHaveBeenCalled();
  });
});
