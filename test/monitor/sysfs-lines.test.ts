import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isPiminderError } from '../../lib/errors.js';
import { SysfsLines } from '../../monitor/gpio/sysfs-lines.js';
import { tempDir } from '../helpers/temp-dir.js';
import { fakeSysfs, PI3_OLD_KERNEL, PI4_KERNEL_66, type FakeChip } from './fake-sysfs.js';

const dirs: Array<{ remove: () => void }> = [];
afterEach(() => dirs.splice(0).forEach((dir) => dir.remove()));

function board(chips: FakeChip[], held: { busy?: number[]; denied?: number[] } = {}) {
  const dir = tempDir('sysfs');
  dirs.push(dir);
  const fake = fakeSysfs(join(dir.path, 'gpio'), chips, held);
  const lines = (chipLabel?: string) =>
    new SysfsLines({ root: fake.root, chipLabel, write: fake.write, devRoot: dir.path });
  return { fake, lines, dir: dir.path };
}

function failure(run: () => unknown): { code: string; message: string; hint: string } {
  try {
    run();
  } catch (error) {
    if (!isPiminderError(error)) throw error;
    return { code: error.code, message: error.message, hint: error.hint ?? '' };
  }
  throw new Error('no error was thrown');
}

describe('sysfs GPIO line numbers', () => {
  it('on a chip with base 0, BCM 17 is sysfs 17', () => {
    const { fake, lines } = board(PI3_OLD_KERNEL);
    const sysfs = lines();
    const line = sysfs.resolve('output "red"', 17);

    expect(sysfs.chip).toEqual({ name: 'gpiochip0', base: 0, ngpio: 54, label: 'pinctrl-bcm2835' });
    expect(line.sysfs).toBe(17);
    expect(sysfs.export('output "red"', line)).toEqual({ reused: false });
    expect(fake.exports).toEqual(['17']);
    expect(fake.valueOf(17)).toBe('0');
  });

  it('on kernel 6.6 (chip base 512), BCM 17 is sysfs 529 and 17 itself is refused', () => {
    const { fake, lines } = board(PI4_KERNEL_66);
    const sysfs = lines();
    const line = sysfs.resolve('output "red"', 17);

    expect(sysfs.chip.label).toBe('pinctrl-bcm2711');
    expect(line.sysfs).toBe(529);
    expect(sysfs.export('output "red"', line)).toEqual({ reused: false });
    expect(fake.exports).toEqual(['529']);

    // The field case: the bare BCM number is no line at all on this kernel.
    expect(() => fake.write(join(fake.root, 'export'), '17')).toThrow(/EINVAL/);
  });

  it('finds the chip on a Pi 5 (rp1) and by a configured label', () => {
    const pi5 = [
      { base: 512, ngpio: 32, label: 'gpio-brcmstb@107d508500' },
      { base: 571, ngpio: 54, label: 'pinctrl-rp1' },
    ];
    expect(board(pi5).lines().resolve('output "red"', 17).sysfs).toBe(588);
    expect(board(pi5).lines('gpio-brcmstb@107d508500').resolve('output "red"', 17).sysfs).toBe(529);
  });

  it('uses the only chip there is, whatever its label', () => {
    const { lines } = board([{ base: 100, ngpio: 16, label: 'gpio-mockup-A' }]);
    expect(lines().resolve('output "red"', 3).sysfs).toBe(103);
  });

  it('refuses to guess between several unknown chips, and an unknown label', () => {
    const chips = [
      { base: 0, ngpio: 16, label: 'gpio-a' },
      { base: 16, ngpio: 16, label: 'gpio-b' },
    ];
    const guess = failure(() => board(chips).lines());
    expect(guess.code).toBe('PIMINDER_ERR_MONITOR_GPIO_NO_CHIP');
    expect(guess.message).toContain('gpiochip0 "gpio-a", gpiochip16 "gpio-b"');
    expect(guess.hint).toContain('gpio.chipLabel');

    const unknown = failure(() => board(chips).lines('pinctrl-bcm2711'));
    expect(unknown.message).toContain('no GPIO chip labelled "pinctrl-bcm2711"');
  });

  it('names a line the chip does not have', () => {
    const { lines } = board(PI3_OLD_KERNEL);
    const absent = failure(() => lines().resolve('output "red"', 60));
    expect(absent.code).toBe('PIMINDER_ERR_MONITOR_GPIO_LINE_ABSENT');
    expect(absent.message).toBe(
      'output "red": line 60 is absent: gpiochip0 (pinctrl-bcm2835) has lines 0-53',
    );
  });

  it('names the line and the cause when a kernel driver holds it (EBUSY)', () => {
    const { lines } = board(PI4_KERNEL_66, { busy: [516] });
    const sysfs = lines();
    const busy = failure(() => sysfs.export('input "ack"', sysfs.resolve('input "ack"', 4)));
    expect(busy.code).toBe('PIMINDER_ERR_MONITOR_GPIO_LINE_BUSY');
    expect(busy.message).toBe(
      'input "ack": line 4 (sysfs 516 on gpiochip512) is busy: ' +
        'a kernel driver or another program holds it',
    );
  });

  it('names the line when permission is denied (EACCES)', () => {
    const { lines } = board(PI4_KERNEL_66, { denied: [529] });
    const sysfs = lines();
    const denied = failure(() => sysfs.export('output "red"', sysfs.resolve('output "red"', 17)));
    expect(denied.code).toBe('PIMINDER_ERR_MONITOR_GPIO_LINE_DENIED');
    expect(denied.message).toContain('output "red": line 17 (sysfs 529 on gpiochip512)');
    expect(denied.hint).toContain('gpio group');
  });

  it('names the line when the kernel refuses the number (EINVAL)', () => {
    // A chip that claims more lines than the kernel lets export.
    const { fake, dir } = board(PI3_OLD_KERNEL);
    const sysfs = new SysfsLines({
      root: fake.root,
      devRoot: dir,
      write: (path, text) => fake.write(path, String(Number(text) + 1000)),
    });
    const invalid = failure(() => sysfs.export('output "red"', sysfs.resolve('output "red"', 17)));
    expect(invalid.code).toBe('PIMINDER_ERR_MONITOR_GPIO_LINE_INVALID');
    expect(invalid.message).toContain('output "red": line 17 (sysfs 17 on gpiochip0)');
  });

  it('reuses a line left exported by an earlier run, without exporting it again', () => {
    const { fake, lines } = board(PI4_KERNEL_66);
    fake.preExport(529);
    const sysfs = lines();
    expect(sysfs.export('output "red"', sysfs.resolve('output "red"', 17))).toEqual({
      reused: true,
    });
    expect(fake.exports).toEqual([]);
  });

  it('releases a line once; releasing it again does nothing', () => {
    const { fake, lines } = board(PI4_KERNEL_66);
    const sysfs = lines();
    const line = sysfs.resolve('output "red"', 17);
    sysfs.export('output "red"', line);
    sysfs.unexport(line);
    sysfs.unexport(line);
    expect(fake.unexports).toEqual(['529']);
  });

  it('says clearly when the board has no sysfs GPIO at all', () => {
    const dir = tempDir('no-sysfs');
    dirs.push(dir);
    const root = join(dir.path, 'class', 'gpio');
    const none = failure(() => new SysfsLines({ root, devRoot: dir.path }));
    expect(none.code).toBe('PIMINDER_ERR_MONITOR_GPIO_NO_SYSFS');
    expect(none.message).toBe(`no sysfs GPIO on this machine: ${root} does not exist`);
    expect(none.hint).toContain('--simulate');

    mkdirSync(join(dir.path, 'dev'));
    writeFileSync(join(dir.path, 'dev', 'gpiochip0'), '');
    const chardev = failure(() => new SysfsLines({ root, devRoot: join(dir.path, 'dev') }));
    expect(chardev.message).toContain('character-device GPIO');
  });
});
