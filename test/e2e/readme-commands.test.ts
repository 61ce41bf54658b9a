import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { CLI, spawnLogged, type LoggedProcess } from './process-log.js';

/**
 * Every ```sh block of the README is run, in order, in a fresh folder where `npm start` runs,
 * exactly as a new user would type it. Commands that cannot run here (systemd, another
 * machine, long-running daemons) are shown in other blocks; the parts' own tests run those.
 */
const run = promisify(execFile);
const REPO = new URL('../..', import.meta.url).pathname;
const README = readFileSync(join(REPO, 'README.md'), 'utf8');

/** The Quick start's own commands: CI runs `npm test`, and this test runs what `npm start` does. */
const QUICK_START = new Set(['npm start', 'npm test']);

interface Block {
  line: number;
  script: string;
}

function shellBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const pattern = /^( *)```sh\n([\s\S]*?)^\1```$/gm;
  for (const match of markdown.matchAll(pattern)) {
    const indent = match[1]!.length;
    const script = match[2]!
      .split('\n')
      .map((line) => line.slice(indent))
      .join('\n')
      .trim();
    if (QUICK_START.has(script)) continue;
    blocks.push({ line: markdown.slice(0, match.index).split('\n').length, script });
  }
  return blocks;
}

const blocks = shellBlocks(README);
const home = tempDir('readme');
let piminder: LoggedProcess;
let brokerPort = '';
let bridgePort = '';

beforeAll(async () => {
  const bin = join(home.path, '.bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'piminder'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
  chmodSync(join(bin, 'piminder'), 0o755);
  symlinkSync(join(REPO, 'tools'), join(home.path, 'tools'));

  piminder = spawnLogged(['start'], home.path, {
    PATH: process.env.PATH,
    HOME: home.path,
    PIMINDER_BROKER_PORT: '0',
    PIMINDER_BRIDGE_PORT: '0',
  });
  const ready = await piminder.waitFor((line) => line.msg === 'piminder ready', 'ready', 60_000);
  brokerPort = /:(\d+)$/.exec(String(ready.broker))![1]!;
  bridgePort = /:(\d+)$/.exec(String(ready.bridge))![1]!;
});

afterAll(async () => {
  if (piminder && piminder.child.exitCode === null) {
    piminder.child.kill('SIGTERM');
    await piminder.exited;
  }
  home.remove();
});

describe('the README', () => {
  it('has shell examples to run', () => {
    expect(blocks.length).toBeGreaterThan(5);
  });

  it.each(blocks.map((block) => [block.line, block] as const))(
    'runs the sh block at line %i as written',
    async (_line, block) => {
      // The examples name the default ports; this run listens on free ones. curl is told to
      // fail on an HTTP error, so an example that gets a 4xx answer fails here too.
      const script = block.script
        .replaceAll('curl ', 'curl --fail-with-body ')
        .replaceAll('/etc/piminder', join(home.path, 'etc'))
        .replaceAll(':8883', `:${brokerPort}`)
        .replaceAll('-p 8883', `-p ${brokerPort}`)
        .replaceAll(':8443', `:${bridgePort}`);
      const env = {
        PATH: `${join(home.path, '.bin')}:${process.env.PATH}`,
        HOME: home.path,
        PIMINDER_URL: `mqtts://127.0.0.1:${brokerPort}`,
      };
      // One terminal session: what a block exports is there for the blocks after it.
      const session = `[ -f .readme-env ] && source .readme-env\n${script}\nexport -p > .readme-env`;
      const result = await run('bash', ['-e', '-o', 'pipefail', '-c', session], {
        cwd: home.path,
        env,
        timeout: 100_000,
      }).then(
        () => ({ code: 0, stderr: '' }),
        (error: { stderr: string; code: number }) => error,
      );
      expect(result.code, `${block.script}\n--- stderr ---\n${result.stderr}`).toBe(0);
    },
    120_000,
  );
});
