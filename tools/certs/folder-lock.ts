import { randomBytes } from 'node:crypto';
import { link, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CertsError } from './errors.js';

/**
 * One writer at a time per certificate folder. Two `issue` runs that both read index.json
 * and write it back would lose one entry, so every command that changes the folder holds
 * DIR/.lock (holding the writer's pid) while it reads and writes. The lock appears with its
 * pid already in it: written to a file of its own, then hard-linked into place, which fails
 * when a lock exists. A lock created empty and filled afterwards would look, for a moment, like
 * one left by a dead writer, and a second writer would remove it and go ahead.
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

async function holderOf(path: string): Promise<number | undefined> {
  const holder = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
  return Number.isInteger(holder) && holder > 0 ? holder : undefined;
}

/**
 * Removes a lock whose writer died (kill -9, power loss); true when it did. The lock is moved
 * aside before it is removed, and put back if it turns out to be a live writer's: two waiters
 * that both saw the dead writer's lock must not remove the lock the first of them then took.
 */
async function clearStale(path: string): Promise<boolean> {
  const holder = await holderOf(path);
  if (holder !== undefined && isAlive(holder)) return false;

  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch {
    return true;
  }
  const moved = await holderOf(aside);
  if (moved !== undefined && moved !== holder && isAlive(moved)) {
    await link(aside, path).catch(() => undefined);
  }
  await rm(aside, { force: true });
  return true;
}

/** Creates the lock with this process's pid in it; false when a lock exists. */
async function tryCreate(path: string): Promise<boolean> {
  const own = `${path}.${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(own, `${process.pid}\n`, { mode: 0o600 });
  try {
    await link(own, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(own, { force: true });
  }
}

async function acquire(dir: string): Promise<void> {
  const path = lockPath(dir);
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    if (await tryCreate(path)) return;
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
