import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../bridge/users/password-hash.js';
import { UserStore, usersFile } from '../../bridge/users/user-store.js';
import { tempDir } from '../helpers/temp-dir.js';

/** `piminder users` as a real child process, the password piped on standard input. */
const CLI = fileURLToPath(new URL('../../tools/piminder.js', import.meta.url));
const dir = tempDir('users-cli');
const data = join(dir.path, 'data');
afterAll(() => dir.remove());

function piminder(args: string[], input = ''): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'users', ...args, '--data', data], {
      env: { PATH: process.env.PATH },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out }));
    child.stdin.end(input);
  });
}

describe('piminder users', () => {
  it('adds a user from a piped password without printing it, in a 0600 file', async () => {
    const added = await piminder(
      ['add', 'cron', '--role', 'service', '--memo', 'nightly'],
      'piped-secret-1\n',
    );
    expect(added).toEqual({ code: 0, out: 'user cron added as service\n' });

    const path = usersFile(data);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).not.toContain('piped-secret-1');
    const user = await new UserStore(path).find('cron');
    expect(await verifyPassword('piped-secret-1', user!.password)).toBe(true);
  });

  it('lists users with role and level, never a hash', async () => {
    const listed = await piminder(['list']);
    expect(listed.code).toBe(0);
    expect(listed.out).toBe('cron\tservice\tlevel 1\tenabled\tnightly\n');
  });

  it('disables a user', async () => {
    const disabled = await piminder(['disable', 'cron']);
    expect(disabled).toEqual({ code: 0, out: 'user cron disabled\n' });
    expect((await new UserStore(usersFile(data)).find('cron'))?.disabled).toBe(true);
  });

  it('refuses an unknown role with one line and exit code 1, writing nothing', async () => {
    const role = await piminder(['add', 'x', '--role', 'root'], 'long-enough-pass\n');
    expect(role).toEqual({
      code: 1,
      out: 'piminder: unknown role "root": use service, monitor, admin\n',
    });
    const users = await new UserStore(usersFile(data)).list();
    expect(users.map((user) => user.name)).toEqual(['cron']);
  });
});
