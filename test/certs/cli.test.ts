import { chmodSync, cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { modeOf, openssl, runCli, snapshot, type Run } from './support.js';

const folder = tempDir('certs-cli');
const dir = join(folder.path, 'pki');

afterAll(() => folder.remove());

/** A refusal: exit 1, nothing on stdout, one line on stderr that says what to do. */
function expectOneLineError(run: Run, pattern: RegExp): void {
  expect(run.stdout).toBe('');
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^piminder: /);
  expect(lines[0]).toMatch(pattern);
  expect(run.code).toBe(1);
}

/** The uid of nobody on Debian. */
const NOBODY = 65534;

/** Each run starts Node and compiles the CLI; generous for a busy 2-core machine. */
const CLI_TIMEOUT = 120_000;

let init: Run;
let issue: Run;

beforeAll(async () => {
  init = await runCli(['certs', 'init', '--dir', dir, '--san', '127.0.0.5,mqtt.lab.example']);
  issue = await runCli(['certs', 'issue', 'sensor', '--role', 'service'], { PIMINDER_CERTS: dir });
}, CLI_TIMEOUT);

describe('piminder certs on the command line', () => {
  it('init says where the files are and what to do next', () => {
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    for (const file of ['ca.crt', 'ca.key', 'server.crt', 'server.key', 'crl.pem']) {
      expect(init.stdout).toContain(join(dir, file));
      expect(existsSync(join(dir, file))).toBe(true);
    }
    expect(init.stdout).toContain('127.0.0.5, mqtt.lab.example');
    expect(init.stdout).toMatch(/Next: .*\n\s+piminder certs issue \S+ --role service --dir /);
    expect(modeOf(join(dir, 'ca.key')).toString(8)).toBe('600');
  });

  it('issue takes the folder from PIMINDER_CERTS and never prints a key', () => {
    expect(issue.code).toBe(0);
    expect(issue.stdout).toMatch(/^Issued "sensor" \(role service, serial [0-7][0-9A-F]{31}, /);
    expect(issue.stdout).toContain(join(dir, 'clients', 'sensor.key'));
    expect(issue.stdout).not.toContain('PRIVATE KEY');
    expect(init.stdout).not.toContain('PRIVATE KEY');
  });

  it('list prints an aligned table', async () => {
    const table = await runCli(['certs', 'list', '--dir', dir]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+KIND\s+ROLE\s+SERIAL\s+EXPIRES\s+STATUS$/);
    expect(lines).toHaveLength(4);
    const header = lines[0] ?? '';
    for (const column of ['KIND', 'ROLE', 'SERIAL', 'EXPIRES', 'STATUS']) {
      const at = header.indexOf(column);
      for (const line of lines.slice(1)) expect(line[at - 1]).toBe(' ');
      for (const line of lines.slice(1)) expect(line[at]).not.toBe(' ');
    }
    const row = /^sensor\s+client\s+service\s+[0-9A-F]{32}\s+\d{4}-\d\d-\d\d\s+active$/;
    expect(lines[3]).toMatch(row);
  }, CLI_TIMEOUT);

  it('refuses bad input with exit 1 and one line, wrong usage with 2: no change', async () => {
    const before = snapshot(dir);
    const [usage, ...runs] = await Promise.all([
      runCli(['certs', 'issue', 'x', '--dir', dir]),
      runCli(['certs', 'issue', 'x', '--role', 'root', '--dir', dir]),
      runCli(['certs', 'init', '--dir', dir]),
      runCli(['certs', 'issue', 'x', '--role', 'service', '--dir', join(folder.path, 'none')]),
    ]);
    const patterns = [
      /unknown role "root": use one of service, monitor, bridge, admin/,
      /a CA already exists in .* \(pass --force to replace it/,
      /no CA in .*none .*run "piminder certs init --dir .*none" first/,
    ];
    runs.forEach((run, n) => expectOneLineError(run, patterns[n] ?? /^$/));
    expect(usage?.stderr).toBe("error: required option '--role <role>' not specified (see --help)\n");
    expect(usage?.code).toBe(2);
    expect(snapshot(dir)).toEqual(before);
    expect(existsSync(join(folder.path, 'none'))).toBe(false);
  }, CLI_TIMEOUT);

  it('lists without the CA key, and names a CA key it cannot read in one line', async () => {
    const copy = join(folder.path, 'unreadable-key');
    cpSync(dir, copy, { recursive: true });
    // Root reads any file, so as root the commands run as nobody, for whom ca.key (0600,
    // owned by root) is unreadable like for any other user.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      chmodSync(folder.path, 0o755);
      chmodSync(copy, 0o755);
    } else {
      chmodSync(join(copy, 'ca.key'), 0o000);
    }
    const uid = asRoot ? NOBODY : undefined;
    const before = snapshot(copy);

    const listed = await runCli(['certs', 'list', '--dir', copy], {}, uid);
    const issued = await runCli(['certs', 'issue', 'y', '--role', 'service', '--dir', copy], {}, uid);

    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^sensor\s+client/m);
    expectOneLineError(issued, /cannot read .*unreadable-key\/ca\.key: permission denied/);
    expect(snapshot(copy)).toEqual(before);
  }, CLI_TIMEOUT);

  it('names a folder it may not write in one line', async () => {
    const parent = join(folder.path, 'read-only');
    mkdirSync(parent, { mode: 0o755 });
    chmodSync(folder.path, 0o755);
    const asRoot = process.getuid?.() === 0;
    if (!asRoot) chmodSync(parent, 0o555);

    const run = await runCli(['certs', 'init', '--dir', join(parent, 'pki')], {}, asRoot ? NOBODY : undefined);

    expectOneLineError(run, /cannot mkdir .*read-only\/pki: permission denied/);
    expect(existsSync(join(parent, 'pki'))).toBe(false);
  }, CLI_TIMEOUT);

  it('names a CA key that is a folder in one line', async () => {
    const copy = join(folder.path, 'key-folder');
    cpSync(dir, copy, { recursive: true });
    rmSync(join(copy, 'ca.key'));
    mkdirSync(join(copy, 'ca.key'));

    const issued = await runCli(['certs', 'issue', 'y', '--role', 'service', '--dir', copy]);

    expectOneLineError(issued, /cannot read .*key-folder\/ca\.key: it is a folder, not a file$/);
  }, CLI_TIMEOUT);

  it('exports with the password from PIMINDER_P12_PASSWORD', async () => {
    const file = join(folder.path, 'sensor.p12');
    const exported = await runCli(['certs', 'export', 'sensor', '--p12', file, '--dir', dir], {
      PIMINDER_P12_PASSWORD: 'from-env',
    });
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain(`Wrote ${file} (mode 0600)`);
    expect(modeOf(file).toString(8)).toBe('600');
    const opened = await openssl(['pkcs12', '-in', file, '-passin', 'pass:from-env', '-noout']);
    expect(opened.code).toBe(0);

  }, CLI_TIMEOUT);
});
