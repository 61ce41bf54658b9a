import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CertsError } from './errors.js';

/**
 * One writer at a time per certificate folder. Two `issue` runs that both read index.json
 * and write it back would lose one entry, so every command that changes the folder holds
 * DIR/.lock (created exclusively, holding the writer's pid) while it reads and writes.
 */

/** How often a waiting writer looks again, and how long it waits before giving up. */
const POLL_MS = 50;
const WAIT_MS = 30_000;

function lockPath(dir: string): string {
  return join(dir, '.lock');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes a lock whose writer died (kill -9, power loss); true when it did. */
async function clearStale(path: string): Promise<boolean> {
  const holder = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
  if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) return false;
  await rm(path, { force: true });
  return true;
}

async function acquire(dir: string): Promise<void> {
  const path = lockPath(dir);
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await clearStale(path)) continue;
    if (Date.now() > deadline) {
      throw new CertsError(
        'LOCKED',
        `another command is changing ${dir} (see ${path})`,
        `wait for it to finish; remove ${path} only if no piminder certs command runs`,
      );
    }
    await sleep(POLL_MS);
  }
}

/** Runs `action` holding the folder's lock; the folder must exist. */
export async function withFolderLock<T>(dir: string, action: () => Promise<T>): Promise<T> {
  await acquire(dir);
  try {
    return await action();
  } finally {
    await rm(lockPath(dir), { force: true });
  }
}
