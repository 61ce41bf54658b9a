import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readIndex } from '../../tools/certs/cert-index.js';
import { withFolderLock } from '../../tools/certs/folder-lock.js';
import { certPaths, initCa, issueClient, revoke } from '../../tools/certs/store.js';
import { tempDir } from '../helpers/temp-dir.js';
import { KEYGEN_TIMEOUT, openssl } from './support.js';

const folder = tempDir('certs-lock');
const dir = folder.path;

beforeAll(async () => {
  await initCa(dir);
}, KEYGEN_TIMEOUT);

afterAll(() => folder.remove());

describe('one writer at a time', { timeout: KEYGEN_TIMEOUT }, () => {
  it('runs a second writer only after the first has finished', async () => {
    const order: string[] = [];
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let firstStarted = () => {};
    const started = new Promise<void>((resolve) => (firstStarted = resolve));

    const first = withFolderLock(dir, async () => {
      order.push('first starts');
      firstStarted();
      await gate;
      order.push('first ends');
    });
    await started;
    const second = withFolderLock(dir, async () => {
      order.push('second starts');
    });
    release();
    await Promise.all([first, second]);

    expect(order).toEqual(['first starts', 'first ends', 'second starts']);
    expect(existsSync(join(dir, '.lock'))).toBe(false);
  });

  it('lets no two writers in at once, however many start together', async () => {
    const counter = join(dir, 'counter.test');
    writeFileSync(counter, '0');
    let inside = 0;
    let mostInside = 0;
    const writers = Array.from({ length: 30 }, () =>
      withFolderLock(dir, async () => {
        inside += 1;
        mostInside = Math.max(mostInside, inside);
        const value = Number(await readFile(counter, 'utf8'));
        await new Promise((resolve) => setImmediate(resolve));
        await writeFile(counter, String(value + 1));
        inside -= 1;
      }),
    );
    await Promise.all(writers);

    expect(mostInside).toBe(1);
    expect(await readFile(counter, 'utf8')).toBe('30');
    expect(readdirSync(dir).filter((name) => name.startsWith('.lock'))).toEqual([]);
  });

  it('loses no index entry when several issues and a revoke run at once', async () => {
    const names = ['one', 'two', 'three', 'four'];
    await Promise.all(names.map((name) => issueClient(dir, name, 'service')));
    await Promise.all([issueClient(dir, 'five', 'monitor'), revoke(dir, 'one')]);

    const index = await readIndex(dir);
    const clients = index.entries.filter((entry) => entry.kind === 'client');
    expect(clients.map((entry) => entry.name).sort()).toEqual([...names, 'five'].sort());
    expect(clients.find((entry) => entry.name === 'one')?.status).toBe('revoked');
    for (const name of ['two', 'three', 'four', 'five']) {
      const verified = await openssl(['verify', '-CAfile', certPaths(dir).caCert,
        certPaths(dir).clientCert(name)]);
      expect(verified.code).toBe(0);
    }
  });

  it('takes over a lock left by a writer that died', async () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(join(dir, '.lock'), `${gone}\n`);

    const entry = await issueClient(dir, 'after-crash', 'service');

    expect(entry.status).toBe('active');
    expect(existsSync(join(dir, '.lock'))).toBe(false);
  });

  it('lets one waiter at a time take over the lock of a writer that died', async () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(join(dir, '.lock'), `${gone}\n`);
    let inside = 0;
    let mostInside = 0;

    await Promise.all(
      Array.from({ length: 10 }, () =>
        withFolderLock(dir, async () => {
          inside += 1;
          mostInside = Math.max(mostInside, inside);
          await new Promise((resolve) => setTimeout(resolve, 5));
          inside -= 1;
        }),
      ),
    );

    expect(mostInside).toBe(1);
    expect(readdirSync(dir).filter((name) => name.startsWith('.lock'))).toEqual([]);
  });
});
