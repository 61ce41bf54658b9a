import { resolve } from 'node:path';

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

/** The first-report commands, with the real addresses and certificate paths filled in. */
export function firstReportHelp(at: Addresses): string {
  const certs = quoteShell(resolve(at.certs));
  const url = `mqtts://${at.brokerHost}:${at.brokerPort}`;
  const body = `'{"severity":"major","message":"backup failed"}'`;
  const lines = [
    '',
    'Piminder is running. Send a first report as the "demo" service, in any of three ways:',
    '',
    `  npx piminder publish --url ${url} --certs ${certs} --identity demo \\`,
    `      --severity major --message "backup failed"`,
    '',
    `  mosquitto_pub -h ${at.brokerHost} -p ${at.brokerPort} -i demo -q 1 -r \\`,
    `      --cafile ${certs}/ca.crt --cert ${certs}/clients/demo.crt --key ${certs}/clients/demo.key \\`,
    `      -t ${at.prefix}/status/demo -m ${body}`,
    '',
  ];
  if (at.bridgeUrl !== undefined) {
    lines.push(
      `  curl --cacert ${certs}/ca.crt --cert ${certs}/clients/demo.crt \\`,
      `      --key ${certs}/clients/demo.key -H 'content-type: application/json' \\`,
      `      -d ${body} ${at.bridgeUrl}/api/v1/status/demo`,
      '',
      `Status page: ${at.bridgeUrl}/ (import ${certs}/clients/admin.p12 made with`,
      `"npx piminder certs export admin --p12 admin.p12" into your browser to sign in)`,
      '',
    );
  }
  lines.push(
    `See every status: npx piminder status --url ${url} --certs ${certs}`,
    'Acknowledge: type "press ack" and Enter here (the simulated button). Stop: Ctrl-C.',
    '',
  );
  return lines.join('\n');
}
