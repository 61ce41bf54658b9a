import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { CLI } from './process-log.js';

const run = promisify(execFile);
const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function refusal(args: string[], env: NodeJS.ProcessEnv) {
  const home = tempDir('start-refusal');
  cleanups.push(home.remove);
  const result = await run(process.execPath, [CLI, 'start', ...args], {
    cwd: home.path,
    env: { PATH: process.env.PATH, HOME: home.path, ...env },
    timeout: 60_000,
  }).then(
    () => ({ code: 0, stderr: '' }),
    (error: { code: number; stderr: string }) => error,
  );
  return { ...result, cwd: home.path };
}

async function occupiedPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('piminder start refuses to begin', () => {
  it.each(['BROKER', 'BRIDGE'])(
    'when the %s port is taken, before it creates any certificate',
    async (part) => {
      const port = await occupiedPort();
      const other = part === 'BROKER' ? 'BRIDGE' : 'BROKER';
      const result = await refusal([], {
        [`PIMINDER_${part}_PORT`]: String(port),
        [`PIMINDER_${other}_PORT`]: '0',
      });
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(
          new RegExp(
            `^piminder: the ${part.toLowerCase()} port 127\\.0\\.0\\.1:${port} is already in use .*PIMINDER_${part}_PORT`,
          ),
        ),
      ]);
      expect(existsSync(join(result.cwd, 'certs'))).toBe(false);
    },
    90_000,
  );

  it('with a config value it cannot use, naming the key', async () => {
    const home = tempDir('start-config');
    cleanups.push(home.remove);
    const file = join(home.path, 'piminder.json');
    writeFileSync(file, JSON.stringify({ broker: { port: 'eighty' } }));
    const result = await refusal(['--config', file], {});
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^piminder: invalid configuration: broker\.port: .*piminder\.json/,
    );
  }, 90_000);
});
