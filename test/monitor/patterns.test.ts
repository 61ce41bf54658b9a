import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { OutputConfig } from '../../monitor/config.js';
import { PatternDriver } from '../../monitor/patterns.js';

function output(fields: Partial<OutputConfig>): OutputConfig {
  return { name: 'red', line: 17, when: ['major'], pattern: 'steady', activeLow: false, ...fields };
}

/** A driver whose writes are recorded with the fake clock's time. */
function recorded(config: OutputConfig) {
  const writes: Array<[number, boolean]> = [];
  const start = Date.now();
  const driver = new PatternDriver(config, (on) => writes.push([Date.now() - start, on]));
  return { driver, writes };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('output patterns', () => {
  it('steady: on while active, off after, one write per change', () => {
    const { driver, writes } = recorded(output({}));
    driver.setActive(true);
    driver.setActive(true);
    vi.advanceTimersByTime(5000);
    driver.setActive(false);
    expect(writes).toEqual([
      [0, true],
      [5000, false],
    ]);
  });

  it('blink: switches on at once, then toggles every half period', () => {
    const { driver, writes } = recorded(output({ pattern: 'blink', periodMs: 500 }));
    driver.setActive(true);
    vi.advanceTimersByTime(1000);
    expect(writes).toEqual([
      [0, true],
      [250, false],
      [500, true],
      [750, false],
      [1000, true],
    ]);

    driver.setActive(false);
    vi.advanceTimersByTime(2000);
    expect(writes.at(-1)).toEqual([1000, false]);
    expect(writes).toHaveLength(6);
  });

  it('blink: uses a 1 s period when none is configured', () => {
    const { driver, writes } = recorded(output({ pattern: 'blink' }));
    driver.setActive(true);
    vi.advanceTimersByTime(1000);
    expect(writes.map(([at]) => at)).toEqual([0, 500, 1000]);
  });

  it('beep: short bursts at the start of every period', () => {
    const { driver, writes } = recorded(output({ pattern: 'beep', periodMs: 1000, beepMs: 100 }));
    driver.setActive(true);
    vi.advanceTimersByTime(2050);
    expect(writes).toEqual([
      [0, true],
      [100, false],
      [1000, true],
      [1100, false],
      [2000, true],
    ]);
  });

  it('beep: falls silent at once when deactivated in the middle of a burst', () => {
    const { driver, writes } = recorded(output({ pattern: 'beep' }));
    driver.setActive(true);
    vi.advanceTimersByTime(50);
    driver.setActive(false);
    vi.advanceTimersByTime(10_000);
    expect(writes).toEqual([
      [0, true],
      [50, false],
    ]);
  });

  it('stop: switches off and no timer switches it on again', () => {
    const { driver, writes } = recorded(output({ pattern: 'blink', periodMs: 200 }));
    driver.setActive(true);
    vi.advanceTimersByTime(100);
    driver.setActive(true);
    driver.stop();
    vi.advanceTimersByTime(5000);
    expect(writes).toEqual([
      [0, true],
      [100, false],
    ]);
    expect(driver.active).toBe(false);
    expect(driver.level).toBe(false);
  });
});
