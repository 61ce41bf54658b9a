import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Debouncer } from '../../monitor/debounce.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('button debounce', () => {
  it('counts a press once the line held the pressed level for the debounce time', () => {
    const onPress = vi.fn();
    const debouncer = new Debouncer(50, onPress);
    debouncer.level(true);
    vi.advanceTimersByTime(49);
    expect(onPress).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onPress).toHaveBeenCalledTimes(1);
  });

  it('ignores contact bounce shorter than the debounce time', () => {
    const onPress = vi.fn();
    const debouncer = new Debouncer(50, onPress);
    for (let i = 0; i < 5; i++) {
      debouncer.level(true);
      vi.advanceTimersByTime(10);
      debouncer.level(false);
      vi.advanceTimersByTime(10);
    }
    vi.advanceTimersByTime(1000);
    expect(onPress).not.toHaveBeenCalled();
  });

  it('fires once per press however long it is held, again after a release', () => {
    const onPress = vi.fn();
    const debouncer = new Debouncer(20, onPress);
    debouncer.level(true);
    vi.advanceTimersByTime(30);
    debouncer.level(true);
    vi.advanceTimersByTime(1000);
    expect(onPress).toHaveBeenCalledTimes(1);

    debouncer.level(false);
    debouncer.level(true);
    vi.advanceTimersByTime(20);
    expect(onPress).toHaveBeenCalledTimes(2);
  });

  it('with 0 ms fires on the edge', () => {
    const onPress = vi.fn();
    new Debouncer(0, onPress).level(true);
    expect(onPress).toHaveBeenCalledTimes(1);
  });

  it('stop cancels a pending press', () => {
    const onPress = vi.fn();
    const debouncer = new Debouncer(50, onPress);
    debouncer.level(true);
    debouncer.stop();
    vi.advanceTimersByTime(100);
    expect(onPress).not.toHaveBeenCalled();
  });
});
