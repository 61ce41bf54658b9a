import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UsersError } from '../../bridge/errors.js';
import { hashPassword, verifyPassword } from '../../bridge/users/password-hash.js';
import { UserStore, usersFile } from '../../bridge/users/user-store.js';
import { tempDir } from '../helpers/temp-dir.js';

const dirs: Array<{ remove: () => void }> = [];
afterEach(() => dirs.splice(0).forEach((dir) => dir.remove()));

function newStore(): UserStore {
  const dir = tempDir('users');
  dirs.push(dir);
  return new UserStore(usersFile(join(dir.path, 'data')));
}

async function refusal(run: () => Promise<unknown>): Promise<UsersError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsersError);
    return error as UsersError;
  }
  throw new Error('the store accepted it');
}

describe('password hashes', () => {
  it('verify the right password and refuse any other', async () => {
    const stored = await hashPassword('s3cret-enough');
    expect(stored.algorithm).toBe('scrypt');
    expect(await verifyPassword('s3cret-enough', stored)).toBe(true);
    expect(await verifyPassword('s3cret-enougH', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('are salted: the same password hashes differently twice', async () => {
    const a = await hashPassword('same password');
    const b = await hashPassword('same password');
    expect(a.salt).not.toBe(b.salt);
    expect(a.hash).not.toBe(b.hash);
  });
});

describe('the users file', () => {
  it('is written with mode 0600 and holds no password in clear', async () => {
    const store = newStore();
    await store.add({ name: 'cron', role: 'service', password: 'hunter2-hunter2', memo: 'late' });

    expect(statSync(store.path).mode & 0o777).toBe(0o600);
    const text = readFileSync(store.path, 'utf8');
    expect(text).not.toContain('hunter2');
    const [user] = await store.list();
    expect(user).toMatchObject({ name: 'cron', role: 'service', memo: 'late', disabled: false });
    expect(await verifyPassword('hunter2-hunter2', user!.password)).toBe(true);
  });

  it('lists users sorted by name, and none when there is no file', async () => {
    const store = newStore();
    expect(await store.list()).toEqual([]);
    await store.add({ name: 'zed', role: 'admin', password: 'password-z' });
    await store.add({ name: 'amy', role: 'monitor', password: 'password-a' });
    expect((await store.list()).map((user) => user.name)).toEqual(['amy', 'zed']);
  });

  it('refuses a second user of the same name and keeps the first', async () => {
    const store = newStore();
    await store.add({ name: 'cron', role: 'service', password: 'first-password' });
    const error = await refusal(() =>
      store.add({ name: 'cron', role: 'admin', password: 'second-password' }),
    );
    expect(error.code).toBe('PIMINDER_ERR_USERS_EXISTS');
    const [user] = await store.list();
    expect(user?.role).toBe('service');
    expect(await verifyPassword('first-password', user!.password)).toBe(true);
  });

  it('refuses bad names, roles and passwords with the reason, writing nothing', async () => {
    const store = newStore();
    const badName = await refusal(() =>
      store.add({ name: '../etc', role: 'service', password: 'long-enough' }),
    );
    expect(badName.code).toBe('PIMINDER_ERR_USERS_BAD_NAME');
    expect(badName.message).toContain('"../etc"');

    const badRole = await refusal(() =>
      store.add({ name: 'x', role: 'bridge' as never, password: 'long-enough' }),
    );
    expect(badRole.code).toBe('PIMINDER_ERR_USERS_BAD_ROLE');
    expect(badRole.message).toContain('service, monitor, admin');

    const short = await refusal(() => store.add({ name: 'x', role: 'service', password: 'short' }));
    expect(short.code).toBe('PIMINDER_ERR_USERS_BAD_PASSWORD');
    expect(short.message).toContain('at least 8 characters');

    const reserved = await refusal(() =>
      store.add({ name: 'piminder', role: 'service', password: 'long-enough' }),
    );
    expect(reserved.code).toBe('PIMINDER_ERR_USERS_BAD_NAME');
    expect(reserved.message).toContain("reserved for the broker's own statuses");
    expect(await store.list()).toEqual([]);
  });

  it('lets a monitor or admin user be called piminder, which reports nothing', async () => {
    const store = newStore();
    await store.add({ name: 'piminder', role: 'monitor', password: 'long-enough' });
    expect((await store.list()).map((user) => [user.name, user.role])).toEqual([
      ['piminder', 'monitor'],
    ]);
  });

  it('disables, enables and changes passwords of known users only', async () => {
    const store = newStore();
    await store.add({ name: 'cron', role: 'service', password: 'old-password' });

    expect((await store.setDisabled('cron', true)).disabled).toBe(true);
    expect((await store.find('cron'))?.disabled).toBe(true);
    expect((await store.setDisabled('cron', false)).disabled).toBe(false);

    await store.setPassword('cron', 'new-password');
    const user = await store.find('cron');
    expect(await verifyPassword('new-password', user!.password)).toBe(true);
    expect(await verifyPassword('old-password', user!.password)).toBe(false);

    const unknown = await refusal(() => store.setDisabled('nobody', true));
    expect(unknown.code).toBe('PIMINDER_ERR_USERS_UNKNOWN');
  });

  it('sees changes another process wrote', async () => {
    const store = newStore();
    await store.add({ name: 'cron', role: 'service', password: 'old-password' });
    expect((await store.list()).length).toBe(1);

    const other = new UserStore(store.path);
    await other.add({ name: 'late', role: 'monitor', password: 'late-password' });
    expect((await store.list()).map((user) => user.name)).toEqual(['cron', 'late']);
  });

  it('trusts its last look at the file for recheckMs, then sees changes', async () => {
    const store = newStore();
    const patient = new UserStore(store.path, 60_000);
    await store.add({ name: 'cron', role: 'service', password: 'old-password' });
    expect((await patient.list()).map((user) => user.name)).toEqual(['cron']);

    await store.add({ name: 'late', role: 'monitor', password: 'late-password' });
    expect((await patient.list()).map((user) => user.name)).toEqual(['cron']);
    expect((await new UserStore(store.path, 0).list()).map((user) => user.name)).toEqual([
      'cron',
      'late',
    ]);
  });

  it('reports a broken file by path and leaves it as it was', async () => {
    const store = newStore();
    await store.add({ name: 'cron', role: 'service', password: 'old-password' });
    writeFileSync(store.path, '{"version": 1, "users": [{"name": 3}]}');

    const error = await refusal(() => store.list());
    expect(error.code).toBe('PIMINDER_ERR_USERS_FILE');
    expect(error.message).toContain(store.path);
    await refusal(() => store.add({ name: 'new', role: 'service', password: 'new-password' }));
    expect(readFileSync(store.path, 'utf8')).toBe('{"version": 1, "users": [{"name": 3}]}');
  });
});
