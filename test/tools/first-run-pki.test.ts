import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeIndex } from '../../tools/certs/cert-index.js';
import { certPaths, readIndex, revoke } from '../../tools/certs/store.js';
import { ensureDevelopmentPki } from '../../tools/start/first-run.js';
import { tempDir } from '../helpers/temp-dir.js';
import { captureLog } from '../monitor/log-capture.js';

const dirs: Array<ReturnType<typeof tempDir>> = [];
afterEach(() => dirs.splice(0).forEach((dir) => dir.remove()));

function certsDir(): string {
  const dir = tempDir('first-run-pki');
  dirs.push(dir);
  return join(dir.path, 'certs');
}

const warnings = (lines: Array<Record<string, unknown>>) =>
  lines.filter((line) => line.level === 40).map((line) => line.msg);

/** A certificate folder after the first start. */
async function firstStarted(): Promise<string> {
  const certs = certsDir();
  await ensureDevelopmentPki(certs, captureLog().log);
  return certs;
}

/** The next start on the same folder: what it created and what it warned of. */
async function nextStart(certs: string) {
  const { log, lines } = captureLog();
  const created = await ensureDevelopmentPki(certs, log);
  return { created, warned: warnings(lines) };
}

describe('the development certificates of piminder start', () => {
  it('are made once, and a start with all of them usable warns of nothing', async () => {
    const certs = certsDir();
    const first = captureLog();
    const second = captureLog();

    expect(await ensureDevelopmentPki(certs, first.log)).toEqual([
      'CA',
      'server',
      'monitor',
      'bridge',
      'demo',
      'admin',
    ]);
    expect(await ensureDevelopmentPki(certs, second.log)).toEqual([]);
    expect(warnings(first.lines)).toEqual([]);
    expect(warnings(second.lines)).toEqual([]);
  }, 120_000);

  it('names a revoked one with the command that replaces it', async () => {
    const certs = await firstStarted();
    await revoke(certs, 'monitor');

    const { created, warned } = await nextStart(certs);

    expect(created).toEqual([]);
    expect(warned).toEqual([
      'the monitor certificate is revoked: what uses it cannot connect; ' +
        `run "piminder certs issue monitor --role monitor --dir ${certs}"`,
    ]);
  }, 120_000);

  it('names an expired one with the command that renews it', async () => {
    const certs = await firstStarted();
    const index = await readIndex(certs);
    const bridge = index.entries.find((entry) => entry.name === 'bridge');
    if (bridge === undefined) throw new Error('no bridge entry');
    bridge.notAfter = new Date(Date.now() - 86_400_000).toISOString();
    await writeIndex(certs, index);

    const { warned } = await nextStart(certs);

    expect(warned).toEqual([
      'the bridge certificate is expired: what uses it cannot connect; ' +
        `run "piminder certs renew bridge --dir ${certs}"`,
    ]);
  }, 120_000);

  it('warns of nothing for a CA made without the certificate tool (no index)', async () => {
    const certs = await firstStarted();
    rmSync(certPaths(certs).index);

    const { created, warned } = await nextStart(certs);

    expect(created).toEqual([]);
    expect(warned).toEqual([]);
  }, 120_000);
});
