import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Gpio } from 'onoff';
import { afterEach, describe, expect, it } from 'vitest';
import { isPiminderError } from '../../lib/errors.js';
import { chooseBackend } from '../../monitor/gpio/choose-backend.js';
import { OnoffBackend } from '../../monitor/gpio/onoff-backend.js';
import { SimulatedBackend } from '../../monitor/gpio/simulated-backend.js';
import { tempDir } from '../helpers/temp-dir.js';
import { fakeSysfs, PI4_KERNEL_66, type FakeSysfs } from './fake-sysfs.js';
import { captureLog } from './log-capture.js';

const dirs: Array<{ remove: () => void }> = [];
afterEach(() => dirs.splice(0).forEach((dir) => dir.remove()));

/**
 * onoff over the fake tree: it writes `direction`, `active_low` and `value` the way onoff
 * does on a line it finds exported, and unexports through the fake kernel.
 */
/** The watch callbacks onoff would call on an edge, by sysfs number. */
const watchers = new Map<number, (error: Error | null, value: 0 | 1) => void>();

function onoffOver(fake: FakeSysfs): typeof Gpio {
  class FakeOnoffGpio {
    readonly #path: string;
    readonly #number: number;
    constructor(number: number, direction: string, _edge: string, options: { activeLow: boolean }) {
      this.#number = number;
      this.#path = join(fake.root, `gpio${number}`);
      writeFileSync(join(this.#path, 'active_low'), options.activeLow ? '1' : '0');
      writeFileSync(join(this.#path, 'direction'), direction);
    }
    writeSync(value: 0 | 1): void {
      const activeLow = readFileSync(join(this.#path, 'active_low'), 'utf8') === '1';
      writeFileSync(join(this.#path, 'value'), String(activeLow ? 1 - value : value));
    }
    watch(callback: (error: Error | null, value: 0 | 1) => void): void {
      watchers.set(this.#number, callback);
    }
    unexport(): void {
      fake.write(join(fake.root, 'unexport'), String(this.#number));
    }
  }
  return FakeOnoffGpio as unknown as typeof Gpio;
}

function pi4() {
  const dir = tempDir('onoff');
  dirs.push(dir);
  return fakeSysfs(join(dir.path, 'gpio'), PI4_KERNEL_66, { busy: [532] });
}

const red = { label: 'output "red"', name: 'red', line: 17, activeLow: false };
const green = { label: 'output "green"', name: 'green', line: 22, activeLow: true };

describe('onoff backend', () => {
  it('claims lines by their sysfs number, says which, and starts every output off', () => {
    const fake = pi4();
    const { log, lines } = captureLog();
    const backend = new OnoffBackend({ root: fake.root, write: fake.write }, log, onoffOver(fake));
    backend.openOutput(red);
    backend.openOutput(green);

    expect(fake.exports).toEqual(['529', '534']);
    expect(readFileSync(join(fake.root, 'gpio529', 'direction'), 'utf8')).toBe('low');
    // Active low starts high, which is off, so the LED never flashes on at start-up.
    expect(readFileSync(join(fake.root, 'gpio534', 'direction'), 'utf8')).toBe('high');
    expect(lines.filter((l) => l.msg === 'gpio line exported')).toEqual([
      expect.objectContaining({ name: 'red', line: 17, sysfs: 529, chip: 'gpiochip512' }),
      expect.objectContaining({ name: 'green', line: 22, sysfs: 534, chip: 'gpiochip512' }),
    ]);
    backend.close();
  });

  it('drives outputs with activeLow, then switches them off and releases each line once', () => {
    const fake = pi4();
    const { log } = captureLog();
    const backend = new OnoffBackend({ root: fake.root, write: fake.write }, log, onoffOver(fake));
    const redLine = backend.openOutput(red);
    const greenLine = backend.openOutput(green);
    redLine.write(true);
    greenLine.write(true);
    expect([fake.valueOf(529), fake.valueOf(534)]).toEqual(['1', '0']);

    greenLine.write(false);
    expect(fake.valueOf(534)).toBe('1');
    redLine.write(true);

    const values: string[] = [];
    const write = fake.write;
    fake.write = (path, text) => {
      values.push(fake.valueOf(Number(text)));
      write(path, text);
    };
    backend.close();
    backend.close();
    redLine.write(true);

    expect(fake.unexports).toEqual(['529', '534']);
    // Off at the moment of release: low for red, high for the active-low green.
    expect(values).toEqual(['0', '1']);
  });

  it('refuses a busy line with an error naming it, keeping the lines it had claimed', () => {
    const fake = pi4();
    const { log } = captureLog();
    const backend = new OnoffBackend({ root: fake.root, write: fake.write }, log, onoffOver(fake));
    backend.openOutput(red);
    let code = '';
    try {
      backend.openOutput({ label: 'output "amber"', name: 'amber', line: 20, activeLow: false });
    } catch (error) {
      if (isPiminderError(error)) code = `${error.code}: ${error.message}`;
    }
    expect(code).toBe(
      'PIMINDER_ERR_MONITOR_GPIO_LINE_BUSY: output "amber": line 20 (sysfs 532 on gpiochip512) ' +
        'is busy: a kernel driver or another program holds it',
    );
    backend.close();
    expect(fake.unexports).toEqual(['529']);
  });

  it('reports input levels from onoff, pressed as 1 (onoff applies activeLow)', () => {
    const fake = pi4();
    const { log, lines } = captureLog();
    const backend = new OnoffBackend({ root: fake.root, write: fake.write }, log, onoffOver(fake));
    const levels: boolean[] = [];
    const ack = { label: 'input "ack"', name: 'ack', line: 5, activeLow: true, debounceMs: 50 };
    backend.openInput(ack, (pressed) => levels.push(pressed));
    expect(readFileSync(join(fake.root, 'gpio517', 'active_low'), 'utf8')).toBe('1');
    expect(readFileSync(join(fake.root, 'gpio517', 'direction'), 'utf8')).toBe('in');

    const edge = watchers.get(517);
    edge?.(null, 1);
    edge?.(null, 0);
    edge?.(new Error('EIO'), 0);
    expect(levels).toEqual([true, false]);
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'input read failed', input: 'ack', line: 5 }),
    );
    backend.close();
    expect(fake.unexports).toEqual(['517']);
  });
});

describe('simulated backend', () => {
  it('logs every output change with output, line, value and on', () => {
    const { log, lines } = captureLog();
    const backend = new SimulatedBackend(log);
    const redLine = backend.openOutput(red);
    const greenLine = backend.openOutput(green);
    redLine.write(true);
    redLine.write(true);
    greenLine.write(true);
    backend.close();

    const changes = lines
      .filter((line) => line.msg === 'output changed')
      .map(({ output, line, value, on }) => ({ output, line, value, on }));
    expect(changes).toEqual([
      { output: 'red', line: 17, value: 0, on: false },
      { output: 'green', line: 22, value: 1, on: false },
      { output: 'red', line: 17, value: 1, on: true },
      { output: 'green', line: 22, value: 0, on: true },
      { output: 'red', line: 17, value: 0, on: false },
      { output: 'green', line: 22, value: 1, on: false },
    ]);
  });

  it('releases once, and nothing switches an output on after release', () => {
    const { log, lines } = captureLog();
    const backend = new SimulatedBackend(log);
    const redLine = backend.openOutput(red);
    backend.close();
    backend.close();
    redLine.write(true);

    expect(lines.filter((line) => line.msg === 'line released')).toHaveLength(1);
    expect(backend.outputs()).toEqual([{ name: 'red', line: 17, on: false, value: 0 }]);
  });

  it('presses a button by name or line, holding it past the debounce time', async () => {
    const { log } = captureLog();
    const backend = new SimulatedBackend(log);
    const levels: boolean[] = [];
    const spec = { label: 'input "ack"', name: 'ack', line: 5, activeLow: true, debounceMs: 30 };
    backend.openInput(spec, (pressed) => levels.push(pressed));
    const started = Date.now();
    backend.press('ack');
    backend.press('5');
    expect(levels).toEqual([true, true]);

    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(levels).toEqual([true, true, false, false]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(30);

    expect(() => backend.press('reset')).toThrow('no input "reset" (inputs: ack)');
    backend.close();
  });
});

describe('backend choice', () => {
  const gpio = (backend: 'auto' | 'onoff' | 'simulated', root: string) => ({
    backend,
    root,
    chipLabel: undefined,
  });

  it('simulates where sysfs GPIO is absent, saying so', () => {
    const dir = tempDir('choose');
    dirs.push(dir);
    const { log, lines } = captureLog();
    const backend = chooseBackend(gpio('auto', join(dir.path, 'none')), log);
    expect(backend.kind).toBe('simulated');
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'no sysfs GPIO here: using simulated GPIO' }),
    );
  });

  it('fails with a clear message when onoff is asked for on a board without sysfs GPIO', () => {
    const dir = tempDir('choose');
    dirs.push(dir);
    const { log } = captureLog();
    expect(() => chooseBackend(gpio('onoff', join(dir.path, 'none')), log)).toThrow(
      /no sysfs GPIO on this machine/,
    );
    expect(chooseBackend(gpio('simulated', '/sys/class/gpio'), log).kind).toBe('simulated');
  });
});
