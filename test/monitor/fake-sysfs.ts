import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

export interface FakeChip {
  base: number;
  ngpio: number;
  label: string;
}

/** A sysfs GPIO tree in a temp folder, and a `write` that answers as the kernel does. */
export interface FakeSysfs {
  root: string;
  write: (path: string, text: string) => void;
  /** Every number written to `export` and `unexport`, in order. */
  exports: string[];
  unexports: string[];
  /** Marks a line as exported already, as an earlier run would leave it. */
  preExport: (sysfs: number) => void;
  valueOf: (sysfs: number) => string;
}

function errno(code: string, path: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${code}: write ${path}`);
  error.code = code;
  error.path = path;
  return error;
}

/**
 * GPIO is the one simulated part: the tree holds `gpiochip<base>` folders, and writes to
 * `export` fail with EINVAL outside every chip, EBUSY for lines a driver holds (or that are
 * exported already) and EACCES for lines the user may not touch, as the kernel answers.
 */
export function fakeSysfs(
  root: string,
  chips: FakeChip[],
  held: { busy?: number[]; denied?: number[] } = {},
): FakeSysfs {
  mkdirSync(root, { recursive: true });
  for (const chip of chips) {
    const folder = join(root, `gpiochip${chip.base}`);
    mkdirSync(folder);
    writeFileSync(join(folder, 'base'), `${chip.base}\n`);
    writeFileSync(join(folder, 'ngpio'), `${chip.ngpio}\n`);
    writeFileSync(join(folder, 'label'), `${chip.label}\n`);
  }
  writeFileSync(join(root, 'export'), '');
  writeFileSync(join(root, 'unexport'), '');

  const exports: string[] = [];
  const unexports: string[] = [];
  const lineDir = (sysfs: number) => join(root, `gpio${sysfs}`);
  const create = (sysfs: number) => {
    mkdirSync(lineDir(sysfs));
    for (const [file, text] of [
      ['value', '0'],
      ['direction', 'in'],
      ['active_low', '0'],
      ['edge', 'none'],
    ]) {
      writeFileSync(join(lineDir(sysfs), file as string), `${text as string}\n`);
    }
  };

  const write = (path: string, text: string) => {
    const number = Number(text);
    const inChip = chips.some((c) => number >= c.base && number < c.base + c.ngpio);
    if (basename(path) === 'export') {
      exports.push(text);
      if (!Number.isInteger(number) || !inChip) throw errno('EINVAL', path);
      if (held.busy?.includes(number) || existsSync(lineDir(number))) throw errno('EBUSY', path);
      if (held.denied?.includes(number)) throw errno('EACCES', path);
      create(number);
      return;
    }
    if (basename(path) === 'unexport') {
      unexports.push(text);
      if (!existsSync(lineDir(number))) throw errno('EINVAL', path);
      rmSync(lineDir(number), { recursive: true });
      return;
    }
    writeFileSync(path, text);
  };

  return {
    root,
    write,
    exports,
    unexports,
    preExport: create,
    valueOf: (sysfs) => readFileSync(join(lineDir(sysfs), 'value'), 'utf8').trim(),
  };
}

/** Raspberry Pi 4 on kernel 6.6 and later: the SoC's chip at 512, the expander after it. */
export const PI4_KERNEL_66: FakeChip[] = [
  { base: 512, ngpio: 58, label: 'pinctrl-bcm2711' },
  { base: 570, ngpio: 8, label: 'raspberrypi-exp-gpio' },
];

/** Raspberry Pi 3 on an older kernel: the SoC's chip at 0. */
export const PI3_OLD_KERNEL: FakeChip[] = [
  { base: 0, ngpio: 54, label: 'pinctrl-bcm2835' },
  { base: 504, ngpio: 8, label: 'raspberrypi-exp-gpio' },
];
