import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PiminderError } from '../../lib/errors.js';
import { register } from '../../tools/commands/certs.js';
import { tempDir } from '../helpers/temp-dir.js';
import { KEYGEN_TIMEOUT, snapshot } from './support.js';

/**
 * The `certs` subcommands run in this process, through commander as the CLI wires them.
 * cli.test.ts runs the real executable; this covers every flag without a process each.
 */

const folder = tempDir('certs-commands');
const dir = join(folder.path, 'pki');

afterAll(() => folder.remove());
afterEach(() => vi.restoreAllMocks());

interface Result {
  stdout: string;
  help: string;
  error: unknown;
}

async function certs(...args: string[]): Promise<Result> {
  let help = '';
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((text: unknown) => lines.push(String(text)));
  const program = new Command('piminder')
    .exitOverride()
    .configureOutput({ writeOut: (text) => (help += text), writeErr: (text) => (help += text) });
  register(program);

  let error: unknown;
  try {
    await program.parseAsync(['node', 'piminder', 'certs', ...args]);
  } catch (caught) {
    error = caught;
  }
  vi.restoreAllMocks();
  return { stdout: lines.join('\n'), help, error };
}

function refusal(result: Result): PiminderError {
  expect(result.error).toBeInstanceOf(PiminderError);
  expect(result.stdout).toBe('');
  return result.error as PiminderError;
}

beforeAll(async () => {
  const init = await certs('init', '--dir', dir, '--days', '400', '--cn', 'Lab CA');
  expect(init.error).toBeUndefined();
  const issued = await certs('issue', 'pi', '--role', 'monitor', '--dir', dir);
  expect(issued.error).toBeUndefined();
}, KEYGEN_TIMEOUT);

describe('piminder certs subcommands', { timeout: KEYGEN_TIMEOUT }, () => {
  it('documents every subcommand with --help, including --dir and its variable', async () => {
    const names = ['init', 'issue', 'list', 'show', 'revoke', 'renew', 'export'];
    for (const name of names) {
      const result = await certs(name, '--help');
      expect(result.error).toBeInstanceOf(CommanderError);
      expect((result.error as CommanderError).exitCode).toBe(0);
      const help = result.help.replace(/\s+/g, ' ');
      expect(help).toContain(`Usage: piminder certs ${name}`);
      expect(help).toContain('--dir <dir>');
      expect(help).toContain('env: PIMINDER_CERTS');
    }
    const exportHelp = (await certs('export', '--help')).help.replace(/\s+/g, ' ');
    expect(exportHelp).toContain('env: PIMINDER_P12_PASSWORD');
    expect(exportHelp).toContain('choices: "aes256", "3des"');
  });

  it('gives the CA the --cn and --days asked for', async () => {
    const shown = await certs('show', '--ca', '--json', '--dir', dir);
    const ca = JSON.parse(shown.stdout) as { subject: string; isCa: boolean; notAfter: string };
    expect(ca.subject).toBe('CN=Lab CA, O=Piminder');
    expect(ca.isCa).toBe(true);
    const days = (Date.parse(ca.notAfter) - Date.now()) / 86_400_000;
    expect(Math.round(days)).toBe(400);
  });

  it('refuses flags it cannot read with one line and changes nothing', async () => {
    const before = snapshot(dir);
    const cases: Array<[string[], string, RegExp]> = [
      [['issue', 'a b', '--role', 'service'], 'BAD_NAME', /"a b" is not a valid name/],
      [['issue', 'x', '--role', 'service', '--days', '10d'], 'BAD_DAYS', /not "10d"/],
      [['issue', 'x', '--role', 'service', '--days', '0'], 'BAD_DAYS', /from 1 to 36500/],
      [['issue', 'x', '--role', 'service', '--days', '401'], 'BAD_DAYS', /outlive the CA/],
      [['revoke', 'nobody'], 'UNKNOWN', /no certificate named or numbered "nobody"/],
      [['show'], 'BAD_OPTION', /name exactly one certificate/],
      [['show', 'pi', '--ca'], 'BAD_OPTION', /name exactly one certificate/],
      [['renew'], 'BAD_OPTION', /a client name or --server/],
      [['renew', 'pi', '--server'], 'BAD_OPTION', /a client name or --server/],
      [['renew', 'pi', '--san', 'x.example'], 'BAD_OPTION', /--san applies to --server only/],
      [['renew', '--server', '--san', 'bad_name'], 'BAD_SAN', /"bad_name" is neither/],
      [['export', 'pi', '--p12', join(dir, 'pi.p12')], 'P12_PASSWORD', /needs a password/],
      [['show', 'nobody'], 'UNKNOWN', /no certificate named or numbered "nobody"/],
    ];
    for (const [args, code, message] of cases) {
      const error = refusal(await certs(...args, '--dir', dir));
      expect(error.code).toBe(`PIMINDER_ERR_CERTS_${code}`);
      expect(error.toLine()).toMatch(message);
      expect(error.toLine()).not.toContain('\n');
    }
    expect(snapshot(dir)).toEqual(before);
  });

  it('refuses an unknown option or a cipher outside the choices as wrong usage', async () => {
    const wrong = [
      ['list', '--bogus'],
      ['export', 'pi', '--p12', 'x', '--algorithm', 'rc2'],
    ];
    for (const args of wrong) {
      const result = await certs(...args, '--dir', dir);
      expect(result.error).toBeInstanceOf(CommanderError);
      expect((result.error as CommanderError).exitCode).toBe(1);
      expect(result.help).toMatch(/^error: /);
    }
  });

  it('shows a client: subject, role, serial, validity, usages, status', async () => {
    const shown = (await certs('show', 'pi', '--dir', dir)).stdout;
    expect(shown).toMatch(/subject\s+CN=pi, OU=monitor, O=Piminder\n/);
    expect(shown).toMatch(/role\s+monitor\n/);
    expect(shown).toMatch(/serial\s+[0-7][0-9A-F]{31}\n/);
    expect(shown).toMatch(/not before\s+\d{4}-\d\d-\d\dT.*\n\s+not after\s+\d{4}-/);
    expect(shown).toMatch(/SANs\s+-\n/);
    expect(shown).toMatch(/key usage\s+digitalSignature, keyEncipherment\n/);
    expect(shown).toMatch(/ext\. key usage\s+clientAuth\n/);
    expect(shown).toMatch(/status\s+active\n/);
    expect(shown).toContain(join(dir, 'clients', 'pi.key'));
  });

  it('revokes by name and says how many serials the CRL lists', async () => {
    const issued = await certs('issue', 'temp', '--role', 'bridge', '--dir', dir);
    expect(issued.error).toBeUndefined();
    const revoked = await certs('revoke', 'temp', '--dir', dir);
    expect(revoked.error).toBeUndefined();
    expect(revoked.stdout).toMatch(/^Revoked client "temp" \(serial [0-9A-F]{32}\)\./);
    expect(revoked.stdout).toContain('now lists 1 revoked serial(s)');
  });

  it('renews a client and says how to retire the old certificate', async () => {
    const result = await certs('renew', 'pi', '--dir', dir);
    expect(result.error).toBeUndefined();
    expect(result.stdout).toMatch(/^Renewed client "pi": serial [0-9A-F]{32}, valid until /);
    expect(result.stdout).toMatch(/superseded but still valid until .*\n {2}piminder certs revoke/);

    const listed = JSON.parse((await certs('list', '--json', '--dir', dir)).stdout) as Array<{
      name: string;
      status: string;
    }>;
    const pis = listed.filter((row) => row.name === 'pi').map((row) => row.status);
    expect(pis).toEqual(['superseded', 'active']);
  });

  it('renews the server certificate with an added SAN, revoking the old one', async () => {
    const result = await certs('renew', '--server', '--san', '10.1.2.3', '--revoke-old',
      '--dir', dir);
    expect(result.error).toBeUndefined();
    expect(result.stdout).toMatch(/^Renewed server ".*": serial/);
    expect(result.stdout).toMatch(/The old certificate \(serial [0-9A-F]{32}\) is revoked\./);

    const shown = JSON.parse((await certs('show', '--server', '--json', '--dir', dir)).stdout);
    expect((shown as { sans: string[] }).sans).toContain('IP:10.1.2.3');
    expect((shown as { status: string }).status).toBe('active');
  });
});
