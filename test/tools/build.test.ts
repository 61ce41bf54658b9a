import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { currentBuild, sourceStamp } from '../../tools/build/current-build.mjs';
import { tempDir } from '../helpers/temp-dir.js';

// The command runs a bundle made from the sources as they are, under dist/<stamp>/. Each test
// works on its own copy of the package, so that it can edit sources and break dist/ freely.

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const SHIPPED = ['lib', 'broker', 'bridge', 'monitor', 'tools', 'package.json'];

let dir: ReturnType<typeof tempDir>;
let root: string;

beforeEach(() => {
  dir = tempDir('build');
  root = join(dir.path, 'piminder');
  for (const part of SHIPPED) cpSync(join(REPO, part), join(root, part), { recursive: true });
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
});

afterEach(() => dir.remove());

function builds(): string[] {
  return readdirSync(join(root, 'dist')).sort();
}

function version(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(root, 'tools', 'piminder.js'), '--version'], {
    env: { PATH: process.env.PATH },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

describe('the bundle behind the piminder command', () => {
  it('is built once for the sources as they are, and again after any edit', async () => {
    const stamp = sourceStamp(root);
    const entry = await currentBuild(root);
    expect(entry).toBe(pathToFileURL(join(root, 'dist', stamp, 'cli.js')).href);
    expect(builds()).toEqual([stamp]);
    expect(readFileSync(join(root, 'dist', stamp, 'cli.js'), 'utf8')).toContain('piminder');
    expect(readdirSync(join(root, 'dist', stamp))).toContain('cli.js');

    expect(await currentBuild(root)).toBe(entry);
    expect(builds()).toEqual([stamp]);

    appendFileSync(join(root, 'broker', 'config.ts'), '\n// edited\n');
    const edited = sourceStamp(root);
    expect(edited).not.toBe(stamp);
    expect(await currentBuild(root)).toBe(pathToFileURL(join(root, 'dist', edited, 'cli.js')).href);
    // The old build stays for a while: a process may be starting from it.
    expect(builds()).toEqual([edited, stamp].sort());
  }, 60_000);

  it('lets processes that start at the same moment share one build', async () => {
    const results = await Promise.all([version(), version(), version(), version()]);

    for (const result of results) {
      expect(result).toMatchObject({ code: 0, stdout: '0.1.0\n' });
      expect(result.stderr).toBe('');
    }
    expect(builds()).toEqual([sourceStamp(root)]);
  }, 60_000);

  it('runs the sources through tsx where no build can be written', async () => {
    writeFileSync(join(root, 'dist'), 'a file where the build folder would go');

    expect(await currentBuild(root)).toBeUndefined();
    const result = await version();
    expect(result).toMatchObject({ code: 0, stdout: '0.1.0\n' });
    expect(existsSync(join(root, 'dist', sourceStamp(root)))).toBe(false);
  }, 60_000);

  it('says in one line that the dependencies are missing, instead of a stack trace', async () => {
    rmSync(join(root, 'node_modules'));

    const result = await version();

    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'piminder: its dependencies are not installed (no package "tsx"): ' +
        `run "npm ci" once in ${root}/\n`,
    );
  }, 60_000);

  it('names the missing package when a build exists but node_modules is gone', async () => {
    expect(await currentBuild(root)).toBeDefined();
    rmSync(join(root, 'node_modules'));

    const result = await version();

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^piminder: its dependencies are not installed \(no package "/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  }, 60_000);

  it('prunes an old build only when no live process runs from it', async () => {
    const old = sourceStamp(root);
    await currentBuild(root);
    const oldDir = join(root, 'dist', old);
    const longAgo = new Date(Date.now() - 60 * 60 * 1000);
    const edit = async () => {
      appendFileSync(join(root, 'lib', 'names.ts'), '\n// edited\n');
      utimesSync(oldDir, longAgo, longAgo);
      await currentBuild(root);
    };

    // This test's own process stands for a broker started from the old build.
    writeFileSync(join(oldDir, `.in-use-${process.pid}`), '');
    await edit();
    expect(builds()).toContain(old);

    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    rmSync(join(oldDir, `.in-use-${process.pid}`));
    writeFileSync(join(oldDir, `.in-use-${gone}`), '');
    await edit();
    expect(builds()).not.toContain(old);
    expect(builds()).toHaveLength(2);
  }, 60_000);

  it('leaves no in-use marker behind when a command ends', async () => {
    const result = await version();

    expect(result.code).toBe(0);
    const stamp = sourceStamp(root);
    expect(readdirSync(join(root, 'dist', stamp)).filter((n) => n.startsWith('.in-use-'))).toEqual(
      [],
    );
  }, 60_000);
});
