/**
 * Bare Aedes with aedes-persistence-level behind the same mutual-TLS options as Piminder's
 * listener, and none of Piminder's hooks: the baseline the benchmark compares against. Run as
 * a child process: `node --import tsx tools/bench/bare-aedes-broker.ts --certs DIR --data DIR`.
 * It prints one JSON line `{"msg":"bare aedes ready","port":N}` and stops on SIGTERM/SIGINT.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:tls';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Aedes } from 'aedes';
import aedesPersistenceLevel from 'aedes-persistence-level';
import { Level } from 'level';

const { values } = parseArgs({
  options: {
    certs: { type: 'string' },
    data: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
  },
});
if (values.certs === undefined || values.data === undefined) {
  console.error('usage: bare-aedes-broker.ts --certs DIR --data DIR [--host H] [--port N]');
  process.exit(2);
}
const certs = values.certs;

const db = new Level<string, Buffer>(values.data, { valueEncoding: 'buffer' });
await db.open();
const aedes = new Aedes({ persistence: aedesPersistenceLevel(db) });
await aedes.listen();

const server = createServer(
  {
    ca: readFileSync(join(certs, 'ca.crt')),
    cert: readFileSync(join(certs, 'server.crt')),
    key: readFileSync(join(certs, 'server.key')),
    crl: readFileSync(join(certs, 'crl.pem')),
    minVersion: 'TLSv1.2',
    requestCert: true,
    rejectUnauthorized: true,
  },
  (socket) => aedes.handle(socket),
);
// As on Piminder's listener: without it Nagle holds the CONNACK of a TLS 1.3 connect.
server.on('connection', (socket) => socket.setNoDelay(true));

server.listen(Number(values.port), values.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ msg: 'bare aedes ready', port })}\n`);
});

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  server.close();
  await new Promise<void>((resolve) => aedes.close(() => resolve()));
  await db.close();
  process.exit(0);
}
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
