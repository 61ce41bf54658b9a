import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay } from '../../monitor/backoff.js';
import type { LinkState } from '../../monitor/conditions.js';
import { LinkWatch } from '../../monitor/link-watch.js';
import { ReplayTracker } from '../../lib/replay-tracker.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function watched(linkDownAfterMs: number) {
  const changes: LinkState[] = [];
  const watch = new LinkWatch(linkDownAfterMs, (state) => changes.push(state));
  return { watch, changes };
}

describe('link watch', () => {
  it('turns down when never up within linkDownAfter of the start', () => {
    const { watch, changes } = watched(1000);
    watch.start();
    vi.advanceTimersByTime(999);
    expect(watch.state).toBe('syncing');
    vi.advanceTimersByTime(1);
    expect(changes).toEqual(['down']);
  });

  it('is up after the replay and down linkDownAfter after losing the link', () => {
    const { watch, changes } = watched(1000);
    watch.start();
    watch.up();
    vi.advanceTimersByTime(5000);
    watch.lost();
    vi.advanceTimersByTime(1000);
    watch.up();
    expect(changes).toEqual(['up', 'syncing', 'down', 'up']);
  });

  it('does not restart the clock for a connection lost before it was up again', () => {
    const { watch, changes } = watched(1000);
    watch.start();
    vi.advanceTimersByTime(600);
    watch.lost();
    vi.advanceTimersByTime(400);
    expect(changes).toEqual(['down']);
  });

  it('stops the clock while the replay after a connect arrives', () => {
    const { watch, changes } = watched(1000);
    watch.start();
    vi.advanceTimersByTime(900);
    watch.subscribed();
    vi.advanceTimersByTime(5000);
    expect(watch.state).toBe('syncing');
    watch.up();
    expect(changes).toEqual(['up']);
  });

  it('restarts the clock for a connection lost during the replay', () => {
    const { watch, changes } = watched(1000);
    watch.start();
    watch.subscribed();
    vi.advanceTimersByTime(5000);
    watch.lost();
    vi.advanceTimersByTime(999);
    expect(changes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(changes).toEqual(['down']);
  });

  it('stays down after a reconnect until the replay is complete', () => {
    const { watch, changes } = watched(1000);
    watch.start();
    vi.advanceTimersByTime(1000);
    watch.subscribed();
    watch.lost();
    watch.subscribed();
    expect(watch.state).toBe('down');
    watch.up();
    expect(changes).toEqual(['down', 'up']);
  });

  it('stays up through a short outage', () => {
    const { watch, changes } = watched(1000);
    watch.start();
    watch.up();
    watch.lost();
    vi.advanceTimersByTime(500);
    watch.up();
    vi.advanceTimersByTime(5000);
    expect(changes).toEqual(['up', 'syncing', 'up']);
    watch.stop();
  });
});

describe('replay tracker', () => {
  it('completes after a quiet spell and reports the topics the replay did not bring', () => {
    const done = vi.fn();
    const replay = new ReplayTracker(300, done);
    replay.begin(['p/status/a', 'p/status/b', 'p/status/c']);
    replay.subscribed();
    vi.advanceTimersByTime(200);
    replay.saw('p/status/a', true);
    vi.advanceTimersByTime(200);
    replay.saw('p/status/c', false);
    vi.advanceTimersByTime(99);
    expect(done).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(done).toHaveBeenCalledWith(['p/status/b']);
    expect(replay.running).toBe(false);
  });

  it('counts messages that arrive before the SUBACK, and waits for the SUBACK to settle', () => {
    const done = vi.fn();
    const replay = new ReplayTracker(300, done);
    replay.begin(['p/status/a', 'p/status/b', 'p/status/c']);
    replay.saw('p/status/a', true);
    replay.saw('p/status/new', true);
    vi.advanceTimersByTime(1000);
    expect(done).not.toHaveBeenCalled();
    expect(replay.running).toBe(true);

    replay.subscribed();
    replay.saw('p/status/c', true);
    vi.advanceTimersByTime(300);
    expect(done).toHaveBeenCalledWith(['p/status/b']);
  });

  it('starts afresh on each connect', () => {
    const done = vi.fn();
    const replay = new ReplayTracker(300, done);
    replay.begin(['p/status/a']);
    replay.subscribed();
    replay.begin(['p/status/b']);
    vi.advanceTimersByTime(1000);
    expect(done).not.toHaveBeenCalled();
    replay.subscribed();
    vi.advanceTimersByTime(300);
    expect(done).toHaveBeenCalledOnce();
    expect(done).toHaveBeenCalledWith(['p/status/b']);
  });

  it('is cancelled by a lost connection', () => {
    const done = vi.fn();
    const replay = new ReplayTracker(300, done);
    replay.begin([]);
    replay.subscribed();
    replay.cancel();
    vi.advanceTimersByTime(1000);
    expect(done).not.toHaveBeenCalled();
  });
});

describe('reconnect backoff', () => {
  it('doubles from the floor to the ceiling, between half and all of each step', () => {
    const low = [0, 1, 2, 3, 10].map((n) => backoffDelay(n, 500, 4000, () => 0));
    const high = [0, 1, 2, 3, 10].map((n) => backoffDelay(n, 500, 4000, () => 1));
    expect(low).toEqual([250, 500, 1000, 2000, 2000]);
    expect(high).toEqual([500, 1000, 2000, 4000, 4000]);
  });
});
