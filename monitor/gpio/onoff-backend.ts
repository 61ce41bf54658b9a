import { createRequire } from 'node:module';
import type { Gpio as OnoffGpio } from 'onoff';
import type { Logger } from '../../lib/logger.js';
import { MonitorError } from '../errors.js';
import type { GpioBackend, InputSpec, LineSpec, OutputLine } from './backend.js';
import { SysfsLines, type ResolvedLine, type SysfsOptions } from './sysfs-lines.js';

type GpioClass = typeof OnoffGpio;

/** onoff is an optional dependency with a native part (epoll): load it only when asked. */
export function loadOnoff(): GpioClass {
  try {
    const required = createRequire(import.meta.url)('onoff') as { Gpio: GpioClass };
    return required.Gpio;
  } catch (error) {
    throw new MonitorError(
      'GPIO_BACKEND_UNAVAILABLE',
      `the onoff GPIO library cannot be loaded: ${(error as Error).message}`,
      'install it with "npm install onoff" on the Pi, or run with --simulate',
    );
  }
}

interface Claimed {
  spec: LineSpec;
  line: ResolvedLine;
  gpio: OnoffGpio;
  output: boolean;
}

/**
 * Real GPIO through onoff (sysfs). Numbers are resolved through the chip's base first, and
 * the export goes through SysfsLines so that a refusal names the line and the cause; onoff
 * then finds the line exported and takes it over.
 */
export class OnoffBackend implements GpioBackend {
  readonly kind = 'onoff';
  readonly #Gpio: GpioClass;
  readonly #lines: SysfsLines;
  readonly #log: Logger;
  #claimed: Claimed[] = [];
  #closed = false;

  constructor(options: SysfsOptions, log: Logger, Gpio: GpioClass = loadOnoff()) {
    this.#Gpio = Gpio;
    this.#lines = new SysfsLines(options);
    this.#log = log.child({ backend: 'onoff' });
    const { chip } = this.#lines;
    this.#log.info({ chip: chip.name, label: chip.label, base: chip.base }, 'gpio chip chosen');
  }

  openOutput(spec: LineSpec): OutputLine {
    // The direction names the raw level: "high" keeps an active-low LED dark from the start.
    const gpio = this.#claim(spec, true, spec.activeLow ? 'high' : 'low');
    return {
      write: (on) => {
        // After safe state the line is released; a late timer must not touch it.
        if (!this.#closed) gpio.writeSync(on ? 1 : 0);
      },
    };
  }

  openInput(spec: InputSpec, onLevel: (pressed: boolean) => void): void {
    const gpio = this.#claim(spec, false, 'in');
    gpio.watch((error, value) => {
      if (error) {
        this.#log.warn({ input: spec.name, line: spec.line, err: error }, 'input read failed');
        return;
      }
      onLevel(value === 1);
    });
  }

  close(): void {
    this.#closed = true;
    const claimed = this.#claimed;
    this.#claimed = [];
    for (const entry of claimed) {
      if (entry.output) this.#safely(entry, () => entry.gpio.writeSync(0));
    }
    for (const entry of claimed) this.#safely(entry, () => entry.gpio.unexport());
  }

  #claim(spec: LineSpec, output: boolean, direction: 'in' | 'high' | 'low'): OnoffGpio {
    const line = this.#lines.resolve(spec.label, spec.line);
    const { reused } = this.#lines.export(spec.label, line);
    const fields = { name: spec.name, line: spec.line, sysfs: line.sysfs, chip: line.chip.name };
    this.#log.info({ ...fields, reused }, reused ? 'gpio line reused' : 'gpio line exported');

    let gpio: OnoffGpio;
    try {
      gpio = new this.#Gpio(line.sysfs, direction, output ? 'none' : 'both', {
        activeLow: spec.activeLow,
      });
    } catch (error) {
      throw new MonitorError(
        'GPIO_LINE_FAILED',
        `${spec.label}: line ${spec.line} (sysfs ${line.sysfs}): ${(error as Error).message}`,
        'check the line is free and writable by this user',
      );
    }
    this.#claimed.push({ spec, line, gpio, output });
    return gpio;
  }

  /** Safe state must reach every line, so one failing line does not stop the others. */
  #safely(entry: Claimed, step: () => void): void {
    try {
      step();
    } catch (error) {
      const fields = { name: entry.spec.name, line: entry.spec.line, err: error };
      this.#log.error(fields, 'gpio release failed');
    }
  }
}
