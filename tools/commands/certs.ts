import { Command, Option } from 'commander';
import { ROLES } from '../../lib/roles.js';
import { CertsError } from '../certs/errors.js';
import { formatTable, listCertificates } from '../certs/list.js';
import {
  initReport,
  issueReport,
  renewReport,
  revokeReport,
  showJson,
  showReport,
} from '../certs/output.js';
import { exportP12, P12_ALGORITHMS } from '../certs/p12.js';
import { renewClient, renewServer } from '../certs/renew.js';
import { showCertificate, type ShowTarget } from '../certs/show.js';
import { checkDays, initCa, issueClient, readIndex, revoke, serverSans } from '../certs/store.js';

/**
 * `piminder certs ...`: the private CA. Every subcommand works on one folder (--dir,
 * PIMINDER_CERTS, ./certs) and either prints what it did or fails with one line.
 */

interface DirOption {
  dir: string;
}

function dirOption(): Option {
  return new Option('--dir <dir>', 'certificate folder').env('PIMINDER_CERTS').default('./certs');
}

function daysOption(description: string): Option {
  return new Option('--days <n>', description);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function sanOption(): Option {
  return new Option('--san <names>', 'extra DNS names or IP addresses, comma-separated')
    .argParser(collect)
    .default([]);
}

/** --days as typed: digits only, so "10d" or "1e3" is refused rather than guessed at. */
function parseDays(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim())) {
    throw new CertsError('BAD_DAYS', `--days must be a whole number of days, not "${text}"`);
  }
  const days = Number(text);
  checkDays(days);
  return days;
}

function print(text: string): void {
  console.log(text);
}

interface InitFlags extends DirOption {
  cn: string;
  san: string[];
  days?: string;
  force?: true;
}

function splitList(values: string[]): string[] {
  return values.flatMap((value) => value.split(',')).filter((value) => value.trim() !== '');
}

function registerInit(certs: Command): void {
  certs
    .command('init')
    .description('Create a CA, a server certificate for this host and an empty CRL')
    .addOption(dirOption())
    .option('--cn <name>', 'common name of the CA', 'Piminder CA')
    .addOption(sanOption())
    .addOption(daysOption('days the CA stays valid (default 3650; server certificate 397 at most)'))
    .option('--force', 'replace an existing CA (the old files move to replaced-<time>/)')
    .action(async (options: InitFlags) => {
      const sans = splitList(options.san);
      const entries = await initCa(options.dir, {
        cn: options.cn,
        sans,
        days: parseDays(options.days),
        force: options.force,
      });
      print(initReport(options.dir, entries, serverSans(sans)));
    });
}

interface IssueFlags extends DirOption {
  role: string;
  days?: string;
  force?: true;
}

function registerIssue(certs: Command): void {
  certs
    .command('issue')
    .description('Issue a client certificate with CN=<name> and OU=<role>')
    .argument('<name>', 'client name, the MQTT identity (A-Z a-z 0-9 . _ -, up to 64)')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .addOption(dirOption())
    .addOption(daysOption('days the certificate stays valid (default 397)'))
    .option('--force', 'issue even if the name has an active certificate (it is superseded)')
    .action(async (name: string, options: IssueFlags) => {
      const entry = await issueClient(options.dir, name, options.role, {
        days: parseDays(options.days),
        force: options.force,
      });
      print(issueReport(options.dir, entry));
    });
}

function registerList(certs: Command): void {
  certs
    .command('list')
    .description('List everything the CA issued: name, role, serial, expiry, status')
    .addOption(dirOption())
    .option('--json', 'print JSON instead of a table')
    .action(async (options: DirOption & { json?: true }) => {
      const rows = await listCertificates(options.dir);
      print(options.json ? JSON.stringify(rows, null, 2) : formatTable(rows));
    });
}

function showTarget(value: string | undefined, options: { ca?: true; server?: true }): ShowTarget {
  const chosen = [value !== undefined, options.ca === true, options.server === true];
  if (chosen.filter(Boolean).length !== 1) {
    throw new CertsError(
      'BAD_OPTION',
      'name exactly one certificate',
      'give <name|serial>, --ca or --server',
    );
  }
  if (options.ca) return { kind: 'ca' };
  if (options.server) return { kind: 'server' };
  return { kind: 'named', value: value ?? '' };
}

interface ShowFlags extends DirOption {
  ca?: true;
  server?: true;
  json?: true;
}

function registerShow(certs: Command): void {
  certs
    .command('show')
    .description('Show what a certificate says: subject, role, serial, validity, SANs, status')
    .argument('[name|serial]', 'a client name (its active or latest certificate) or a serial')
    .addOption(dirOption())
    .option('--ca', 'show the CA certificate')
    .option('--server', 'show the server certificate')
    .option('--json', 'print JSON')
    .action(async (value: string | undefined, options: ShowFlags) => {
      const shown = await showCertificate(options.dir, showTarget(value, options));
      print(options.json ? showJson(shown) : showReport(shown));
    });
}

function registerRevoke(certs: Command): void {
  certs
    .command('revoke')
    .description("Revoke a client's active certificate, or any certificate by serial")
    .argument('<name|serial>', 'client name or serial (hex, colons allowed)')
    .addOption(dirOption())
    .action(async (value: string, options: DirOption) => {
      const entry = await revoke(options.dir, value);
      const index = await readIndex(options.dir);
      const listed = index.entries.filter((candidate) => candidate.status === 'revoked').length;
      print(revokeReport(options.dir, entry, listed));
    });
}

function registerRenew(certs: Command): void {
  certs
    .command('renew')
    .description('Issue a new key and certificate for the same name and role')
    .argument('[name]', 'client name')
    .addOption(dirOption())
    .option('--server', 'renew the server certificate instead (keeps its CN and SANs)')
    .addOption(sanOption())
    .addOption(daysOption('days the new certificate stays valid (default 397)'))
    .option('--revoke-old', 'revoke the old certificate now instead of letting it run out')
    .action(async (name: string | undefined, options: RenewFlags) => {
      print(renewReport(await renew(name, options)));
    });
}

interface RenewFlags extends DirOption {
  server?: true;
  san: string[];
  days?: string;
  revokeOld?: true;
}

function renew(name: string | undefined, options: RenewFlags) {
  const common = { days: parseDays(options.days), revokeOld: options.revokeOld };
  const sans = splitList(options.san);
  if ((name === undefined) === (options.server === undefined)) {
    throw new CertsError('BAD_OPTION', 'renew takes a client name or --server', 'give exactly one');
  }
  if (options.server) return renewServer(options.dir, { ...common, sans });
  if (sans.length > 0) {
    throw new CertsError(
      'BAD_OPTION',
      '--san applies to --server only',
      'client certificates carry no SANs',
    );
  }
  return renewClient(options.dir, name ?? '', common);
}

function registerExport(certs: Command): void {
  certs
    .command('export')
    .description("Write a client's certificate, key and the CA into a PKCS#12 (.p12) file")
    .argument('<name>', 'client name')
    .requiredOption('--p12 <file>', 'the file to write (mode 0600)')
    .addOption(
      new Option('--password <password>', 'bundle password (shows in ps; prefer the variable)').env(
        'PIMINDER_P12_PASSWORD',
      ),
    )
    .addOption(
      new Option('--algorithm <name>', 'key encryption').choices(P12_ALGORITHMS).default('aes256'),
    )
    .addOption(dirOption())
    .option('--force', 'replace an existing file')
    .action(async (name: string, options: DirOption & ExportFlags) => {
      const result = await exportP12(options.dir, name, options.p12, {
        password: options.password,
        algorithm: options.algorithm,
        force: options.force,
      });
      print(
        `Wrote ${result.file} (mode 0600): "${name}" certificate, key and CA, ` +
          `key encrypted with ${result.algorithm === 'aes256' ? 'AES-256' : '3DES'}.`,
      );
    });
}

interface ExportFlags {
  p12: string;
  password?: string;
  algorithm: string;
  force?: true;
}

export function register(program: Command): void {
  const certs = program
    .command('certs')
    .description('Run the private CA: issue, list, revoke, renew and export certificates');
  registerInit(certs);
  registerIssue(certs);
  registerList(certs);
  registerShow(certs);
  registerRevoke(certs);
  registerRenew(certs);
  registerExport(certs);
}
