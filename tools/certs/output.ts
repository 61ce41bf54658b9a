import { relative } from 'node:path';
import type { IndexEntry } from './cert-index.js';
import type { ShownCertificate } from './show.js';
import type { Renewal } from './renew.js';
import { certPaths } from './paths.js';

/** The text each `piminder certs` command prints on success. Paths read as the user typed. */

function shortPath(path: string): string {
  const fromHere = relative(process.cwd(), path);
  return fromHere.startsWith('..') || fromHere === '' ? path : fromHere;
}

function day(iso: string | Date): string {
  return (typeof iso === 'string' ? iso : iso.toISOString()).slice(0, 10);
}

function labelled(rows: Array<[string, string]>): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n');
}

export function initReport(dir: string, entries: IndexEntry[], sans: string[]): string {
  const paths = certPaths(dir);
  const [ca, server] = entries;
  return [
    `Created a CA and a server certificate in ${shortPath(dir)}:`,
    labelled([
      ['CA certificate', `${shortPath(paths.caCert)} (valid until ${day(ca?.notAfter ?? '')})`],
      ['CA key', `${shortPath(paths.caKey)} (mode 0600; keep it secret, keep a backup)`],
      ['server certificate', `${shortPath(paths.serverCert)} (${sans.join(', ')})`],
      ['server key', `${shortPath(paths.serverKey)} (mode 0600)`],
      ['revocation list', shortPath(paths.crl)],
      ['index', shortPath(paths.index)],
    ]),
    `Server certificate valid until ${day(server?.notAfter ?? '')}.`,
    'Next: issue a certificate for each client, for example',
    `  piminder certs issue backup-job --role service --dir ${shortPath(dir)}`,
  ].join('\n');
}

export function issueReport(dir: string, entry: IndexEntry): string {
  const paths = certPaths(dir);
  return [
    `Issued "${entry.name}" (role ${entry.role ?? '-'}, serial ${entry.serial.toUpperCase()}, ` +
      `valid until ${day(entry.notAfter)}):`,
    labelled([
      ['certificate', shortPath(paths.clientCert(entry.name))],
      ['key', `${shortPath(paths.clientKey(entry.name))} (mode 0600)`],
      ['CA to trust', shortPath(paths.caCert)],
    ]),
    'Copy these three files to the client; move the key only over a trusted channel.',
  ].join('\n');
}

export function revokeReport(dir: string, entry: IndexEntry, listed: number): string {
  return [
    `Revoked ${entry.kind} "${entry.name}" (serial ${entry.serial.toUpperCase()}).`,
    `${shortPath(certPaths(dir).crl)} now lists ${listed} revoked serial(s); servers that ` +
      'read it refuse this certificate from now on.',
  ].join('\n');
}

export function renewReport(renewal: Renewal): string {
  const { previous, current } = renewal;
  const lines = [
    `Renewed ${current.kind} "${current.name}": serial ${current.serial.toUpperCase()}, ` +
      `valid until ${day(current.notAfter)} (new key).`,
  ];
  if (previous.status === 'revoked') {
    lines.push(`The old certificate (serial ${previous.serial.toUpperCase()}) is revoked.`);
  } else {
    lines.push(
      `The old certificate (serial ${previous.serial.toUpperCase()}) is superseded but still ` +
        `valid until ${day(previous.notAfter)}; once the client uses the new one, run`,
      `  piminder certs revoke ${previous.serial.toUpperCase()}`,
    );
  }
  return lines.join('\n');
}

export function showReport(shown: ShownCertificate): string {
  const { details } = shown;
  return labelled([
    ['subject', details.subject],
    ['issuer', details.issuer],
    ['role', details.role ?? '-'],
    ['serial', details.serial],
    ['not before', details.notBefore.toISOString()],
    ['not after', details.notAfter.toISOString()],
    ['SANs', details.sans.length === 0 ? '-' : details.sans.join(', ')],
    ['key usage', details.keyUsage.join(', ') || '-'],
    ['ext. key usage', details.extKeyUsage.join(', ') || '-'],
    ['CA', details.isCa ? 'yes' : 'no'],
    ['status', shown.status],
    ['certificate', shortPath(shown.certFile)],
    ['key', shown.keyFile === undefined ? '-' : shortPath(shown.keyFile)],
  ]);
}

export function showJson(shown: ShownCertificate): string {
  return JSON.stringify(
    {
      ...shown.details,
      notBefore: shown.details.notBefore.toISOString(),
      notAfter: shown.details.notAfter.toISOString(),
      status: shown.status,
      certFile: shown.certFile,
      keyFile: shown.keyFile ?? null,
    },
    null,
    2,
  );
}
