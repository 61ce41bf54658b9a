import { isAbsolute, relative, resolve } from 'node:path';
import { DEFAULT_BROKER_URL } from '../../lib/client-identity.js';
import { packagePath } from '../../lib/package-root.js';

export interface Addresses {
  certs: string;
  brokerHost: string;
  brokerPort: number;
  bridgeUrl: string | undefined;
  prefix: string;
}

function quoteShell(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** A path as short as it can be from the current folder, ready for a shell. */
function shortPath(path: string): string {
  const fromHere = relative(process.cwd(), resolve(path));
  if (fromHere === '' || fromHere.startsWith('..') || isAbsolute(fromHere)) {
    return quoteShell(resolve(path));
  }
  return quoteShell(fromHere.startsWith('.') ? fromHere : `./${fromHere}`);
}

/** The `piminder` command as it can be typed here, whether installed or in a clone. */
const CLI = shortPath(packagePath('tools', 'piminder.js'));

/** The first-report commands, with the real addresses and certificate paths filled in. */
export function firstReportHelp(at: Addresses): string {
  const certs = shortPath(at.certs);
  const url = `mqtts://${at.brokerHost}:${at.brokerPort}`;
  const connection = [
    url === DEFAULT_BROKER_URL ? '' : ` --url ${url}`,
    certs === './certs' ? '' : ` --certs ${certs}`,
  ].join('');
  const body = `'{"severity":"major","message":"backup failed"}'`;
  const lines = [
    '',
    'Piminder is running. Send a first report as the "demo" service, in any of three ways:',
    '',
    `  ${CLI} publish${connection} --identity demo --severity major --message "backup failed"`,
    '',
    `  mosquitto_pub -h ${at.brokerHost} -p ${at.brokerPort} -i demo -q 1 -r \\`,
    `      --cafile ${certs}/ca.crt --cert ${certs}/clients/demo.crt \\`,
    `      --key ${certs}/clients/demo.key \\`,
    `      -t ${at.prefix}/status/demo -m ${body}`,
    '',
  ];
  if (at.bridgeUrl !== undefined) {
    lines.push(
      `  curl --cacert ${certs}/ca.crt --cert ${certs}/clients/demo.crt \\`,
      `      --key ${certs}/clients/demo.key -H 'content-type: application/json' \\`,
      `      -d ${body} ${at.bridgeUrl}/api/v1/status/demo`,
      '',
      `Status page: ${at.bridgeUrl}/`,
      '',
    );
  }
  lines.push(
    `See every status: ${CLI} status${connection}`,
    'Acknowledge: type "press ack" and Enter here (the simulated button). Stop: Ctrl-C.',
    '',
  );
  return lines.join('\n');
}
