import { existsSync, openSync, closeSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MonitorError } from '../errors.js';

/** A GPIO chip as sysfs shows it: `gpiochip<base>` with `base`, `ngpio` and `label`. */
export interface GpioChip {
  name: string;
  base: number;
  ngpio: number;
  label: string;
}

/** A configured BCM line and the sysfs number the kernel knows it by. */
export interface ResolvedLine {
  bcm: number;
  sysfs: number;
  chip: GpioChip;
  /** The line's folder, `<root>/gpio<sysfs>`. */
  path: string;
}

export interface SysfsOptions {
  /** Normally `/sys/class/gpio`; tests point it at a fake tree. */
  root: string;
  /** The chip whose lines are the configured numbers; found by label when left out. */
  chipLabel?: string | undefined;
  /** Where character devices live, to say so when sysfs GPIO is missing. */
  devRoot?: string;
  /** Writes `export`/`unexport`; the kernel answers through the error code. */
  write?: (path: string, text: string) => void;
  /** How long to wait for udev to make a freshly exported line writable, in milliseconds. */
  permissionWaitMs?: number;
}

/** Raspberry Pi SoC pin controllers: bcm2835 (Pi 1-3, Zero), bcm2711 (Pi 4), rp1 (Pi 5). */
const PI_CHIP_LABEL = /^pinctrl-(bcm2835|bcm2711|bcm2712|rp1)$/;

const NO_SYSFS_HINT =
  'run with --simulate off the Pi, or use an image with sysfs GPIO (CONFIG_GPIO_SYSFS)';

function readTrimmed(path: string): string {
  return readFileSync(path, 'utf8').trim();
}

/**
 * Resolves configured BCM numbers to sysfs numbers and exports them. On kernels since 6.6
 * the Pi's chip starts at base 512, so BCM 17 is sysfs 529 and writing 17 to `export` fails
 * with EINVAL; the chip's `base` is read rather than assumed.
 */
export class SysfsLines {
  readonly root: string;
  readonly chip: GpioChip;
  readonly #write: (path: string, text: string) => void;
  readonly #permissionWaitMs: number;

  constructor(options: SysfsOptions) {
    this.root = options.root;
    this.#write = options.write ?? ((path, text) => writeFileSync(path, text));
    this.#permissionWaitMs = options.permissionWaitMs ?? 1000;
    requireSysfs(options.root, options.devRoot ?? '/dev');
    this.chip = chooseChip(listChips(options.root), options.root, options.chipLabel);
  }

  resolve(label: string, bcm: number): ResolvedLine {
    if (bcm >= this.chip.ngpio) {
      throw new MonitorError(
        'GPIO_LINE_ABSENT',
        `${label}: line ${bcm} is absent: ${this.chip.name} (${this.chip.label}) has lines ` +
          `0-${this.chip.ngpio - 1}`,
        'pick a line the board has',
      );
    }
    const sysfs = this.chip.base + bcm;
    return { bcm, sysfs, chip: this.chip, path: join(this.root, `gpio${sysfs}`) };
  }

  /**
   * Exports a line, or reuses it when it is exported already (left behind by an earlier run
   * that could not clean up). Returns whether it was reused.
   */
  export(label: string, line: ResolvedLine): { reused: boolean } {
    if (existsSync(line.path)) return { reused: true };

    try {
      this.#write(join(this.root, 'export'), String(line.sysfs));
    } catch (error) {
      throw exportFailure(label, line, error as NodeJS.ErrnoException);
    }
    this.#awaitAccess(label, line);
    return { reused: false };
  }

  /** Releases a line; a line already gone is not an error, so releasing twice is harmless. */
  unexport(line: ResolvedLine): void {
    if (!existsSync(line.path)) return;
    this.#write(join(this.root, 'unexport'), String(line.sysfs));
  }

  /** udev fixes the permissions of a new line a moment after the export; wait for it. */
  #awaitAccess(label: string, line: ResolvedLine): void {
    const valuePath = join(line.path, 'value');
    const deadline = Date.now() + this.#permissionWaitMs;
    for (;;) {
      try {
        closeSync(openSync(valuePath, 'r+'));
        return;
      } catch (error) {
        const failure = error as NodeJS.ErrnoException;
        if (Date.now() >= deadline) throw exportFailure(label, line, failure);
      }
    }
  }
}

function requireSysfs(root: string, devRoot: string): void {
  if (existsSync(root)) return;

  const chardev = existsSync(devRoot) && readdirSync(devRoot).some((n) => n.startsWith('gpiochip'));
  const detail = chardev
    ? `; the board has character-device GPIO (${devRoot}/gpiochip*), which this backend cannot use`
    : '';
  throw new MonitorError(
    'GPIO_NO_SYSFS',
    `no sysfs GPIO on this machine: ${root} does not exist${detail}`,
    NO_SYSFS_HINT,
  );
}

export function listChips(root: string): GpioChip[] {
  return readdirSync(root)
    .filter((entry) => /^gpiochip\d+$/.test(entry))
    .map((entry) => {
      const folder = join(root, entry);
      return {
        name: entry,
        base: Number(readTrimmed(join(folder, 'base'))),
        ngpio: Number(readTrimmed(join(folder, 'ngpio'))),
        label: readTrimmed(join(folder, 'label')),
      };
    })
    .sort((a, b) => a.base - b.base);
}

/** The chip named by `chipLabel`, else the Pi's pin controller, else the only chip there is. */
export function chooseChip(chips: GpioChip[], root: string, chipLabel?: string): GpioChip {
  const names = chips.map((chip) => `${chip.name} "${chip.label}"`).join(', ') || 'none';
  const byLabel = chipLabel === undefined ? undefined : chips.find((c) => c.label === chipLabel);
  if (chipLabel !== undefined && byLabel === undefined) {
    throw new MonitorError(
      'GPIO_NO_CHIP',
      `no GPIO chip labelled "${chipLabel}" under ${root} (found: ${names})`,
      'set gpio.chipLabel to one of the labels found',
    );
  }

  const chosen = byLabel ?? chips.find((chip) => PI_CHIP_LABEL.test(chip.label)) ?? onlyChip(chips);
  if (chosen === undefined) {
    throw new MonitorError(
      'GPIO_NO_CHIP',
      `cannot tell which GPIO chip under ${root} has the BCM lines (found: ${names})`,
      'set gpio.chipLabel to the label of the chip the LEDs and buttons are on',
    );
  }
  return chosen;
}

function onlyChip(chips: GpioChip[]): GpioChip | undefined {
  return chips.length === 1 ? chips[0] : undefined;
}

function exportFailure(label: string, line: ResolvedLine, error: NodeJS.ErrnoException) {
  const which = `${label}: line ${line.bcm} (sysfs ${line.sysfs} on ${line.chip.name})`;
  switch (error.code) {
    case 'EBUSY':
      return new MonitorError(
        'GPIO_LINE_BUSY',
        `${which} is busy: a kernel driver or another program holds it`,
        'free it (check dtoverlay, 1-wire, SPI and I2C settings) or pick another line',
      );
    case 'EACCES':
    case 'EPERM':
      return new MonitorError(
        'GPIO_LINE_DENIED',
        `${which}: permission denied (${error.code})`,
        'run the monitor as a member of the gpio group, or as root',
      );
    case 'EINVAL':
      return new MonitorError(
        'GPIO_LINE_INVALID',
        `${which}: the kernel refused the number (EINVAL)`,
        'check that the line exists on this board, or set gpio.chipLabel',
      );
    case 'ENOENT':
      return new MonitorError(
        'GPIO_NO_SYSFS',
        `${which}: ${error.path ?? 'a sysfs GPIO file'} does not exist`,
        NO_SYSFS_HINT,
      );
    default:
      return new MonitorError(
        'GPIO_LINE_FAILED',
        `${which}: cannot export: ${error.code ?? error.message}`,
        'check the kernel log (dmesg) for the GPIO subsystem',
      );
  }
}
