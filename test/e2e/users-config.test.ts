import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { CLI } from './process-log.js';

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

function users(args: string[], cwd: string, input = '') {
  return new Promise<{ code: number; stderr: string }>((resolve) => {
    const child = execFile(process.execPath, [CLI, 'users', ...args], { cwd }, (error, _out, err) =>
      resolve({ code: error ? Number(error.code) : 0, stderr: err }),
    );
    child.stdin?.end(input);
  });
}

describe('piminder users --config', () => {
  it('takes the bridge section of a piminder start file', async () => {
    const home = tempDir('users-config');
    cleanups.push(home.remove);
    const file = join(home.path, 'piminder.json');
    writeFileSync(file, JSON.stringify({ broker: {}, bridge: { data: 'bridge-data' } }));

    const added = await users(
      ['add', 'cron', '--role', 'service', '--config', file],
      home.path,
      'correct horse battery\n',
    );
    expect(added).toMatchObject({ code: 0 });
    const stored = JSON.parse(readFileSync(join(home.path, 'bridge-data', 'users.json'), 'utf8'));
    expect(JSON.stringify(stored)).toContain('"cron"');
    expect(JSON.stringify(stored)).not.toContain('correct horse battery');
  }, 60_000);

  it('refuses a start file without a bridge section, writing nothing', async () => {
    const home = tempDir('users-config');
    cleanups.push(home.remove);
    const file = join(home.path, 'piminder.json');
    writeFileSync(file, JSON.stringify({ broker: { data: 'broker-data' } }));

    const result = await users(['list', '--config', file], home.path);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^piminder: .*piminder\.json has no "bridge" section/);
    expect(existsSync(join(home.path, 'broker-data'))).toBe(false);
  }, 60_000);
});
