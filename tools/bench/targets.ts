import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBroker, type BrokerProcess } from './broker-process.js';

/** The brokers a run can compare; the harness talks to each the same way. */
export const TARGET_NAMES = ['mosquitto', 'piminder', 'aedes', 'piminder-os'] as const;

export type TargetName = (typeof TARGET_NAMES)[number];

/** What `npm run bench` compares unless told otherwise. */
export const DEFAULT_TARGETS: TargetName[] = ['mosquitto', 'piminder', 'aedes'];

export const TARGET_LABELS: Record<TargetName, string> = {
  mosquitto: 'Mosquitto 2 (Debian)',
  piminder: 'Piminder (fsync)',
  aedes: 'bare Aedes + level',
  'piminder-os': 'Piminder (os)',
};

/** Where a target finds its PKI and keeps its data. */
export interface TargetPlace {
  certsDir: string;
  dataDir: string;
  /** Extra flags for the Node.js brokers, e.g. `--cpu-prof` (Mosquitto ignores them). */
  nodeFlags?: string[];
}

export const MOSQUITTO_BINARY = '/usr/sbin/mosquitto';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(REPO_ROOT, 'tools', 'piminder.js');

/** The Node.js flags on the first line of tools/piminder.js, for runs that add their own. */
const CLI_NODE_FLAGS = readFileSync(CLI, 'utf8')
  .split('\n')[0]!
  .split(/\s+/)
  .filter((word) => word.startsWith('--'));
const BARE_AEDES = join(REPO_ROOT, 'tools', 'bench', 'bare-aedes-broker.ts');

function jsonPort(message: string): (line: string) => number | undefined {
  return (line) => {
    try {
      const parsed = JSON.parse(line) as { msg?: unknown; port?: unknown };
      return parsed.msg === message && typeof parsed.port === 'number' ? parsed.port : undefined;
    } catch {
      return undefined;
    }
  };
}

/**
 * `piminder broker` as a product runs it: its own process, info logs, and by default fsync
 * durability; "os" (the OS flushes later) shows what the synchronous writes cost.
 */
export function startPiminder(
  place: TargetPlace,
  durability: 'fsync' | 'os' = 'fsync',
): Promise<BrokerProcess> {
  const args = ['broker', '--certs', place.certsDir, '--data', place.dataDir];
  args.push('--host', '127.0.0.1', '--port', '0', '--durability', durability);
  // Run as a user runs it: the command itself, whose first line carries Node.js flags.
  const profiled = place.nodeFlags !== undefined && place.nodeFlags.length > 0;
  return launchBroker({
    name: 'piminder',
    command: profiled ? process.execPath : CLI,
    args: profiled ? [...CLI_NODE_FLAGS, ...place.nodeFlags!, CLI, ...args] : args,
    env: { PATH: process.env.PATH },
    readyPort: jsonPort('broker ready'),
  });
}

/** Aedes and aedes-persistence-level alone, with the same TLS options, as a child process. */
export function startBareAedes(place: TargetPlace): Promise<BrokerProcess> {
  return launchBroker({
    name: 'aedes',
    command: process.execPath,
    args: [
      ...(place.nodeFlags ?? []),
      ...['--import', 'tsx', BARE_AEDES, '--certs', place.certsDir, '--data', place.dataDir],
    ],
    env: { PATH: process.env.PATH },
    // `--import tsx` is resolved from the working folder.
    cwd: REPO_ROOT,
    readyPort: jsonPort('bare aedes ready'),
  });
}

/** A port nobody listens on right now; Mosquitto 2.0 cannot pick one itself. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Mosquitto configured like Piminder: mutual TLS with the same CA, server certificate and
 * CRL, identity from the certificate, TCP_NODELAY, persistence on, and queue limits raised
 * so that 10,000 retained messages reach a new subscriber rather than being dropped.
 */
export function mosquittoConfig(place: TargetPlace, port: number): string {
  return [
    'per_listener_settings false',
    'allow_anonymous false',
    // Run as the invoking user: the temp key files are readable by it alone.
    ...(process.getuid?.() === 0 ? ['user root'] : []),
    'persistence true',
    `persistence_location ${place.dataDir}/`,
    'max_inflight_messages 1000',
    'max_queued_messages 100000',
    'set_tcp_nodelay true',
    // stderr is unbuffered; stdout to a pipe would hold back the "running" line.
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    `listener ${port} 127.0.0.1`,
    `cafile ${join(place.certsDir, 'ca.crt')}`,
    `certfile ${join(place.certsDir, 'server.crt')}`,
    `keyfile ${join(place.certsDir, 'server.key')}`,
    `crlfile ${join(place.certsDir, 'crl.pem')}`,
    'tls_version tlsv1.2',
    'require_certificate true',
    'use_identity_as_username true',
    '',
  ].join('\n');
}

export async function startMosquitto(place: TargetPlace): Promise<BrokerProcess> {
  const port = await freePort();
  const configFile = join(place.dataDir, 'mosquitto.conf');
  writeFileSync(configFile, mosquittoConfig(place, port));
  return launchBroker({
    name: 'mosquitto',
    command: MOSQUITTO_BINARY,
    args: ['-c', configFile],
    readyPort: (line) => (/mosquitto version \S+ running/.test(line) ? port : undefined),
  });
}

export function startTarget(name: TargetName, place: TargetPlace): Promise<BrokerProcess> {
  switch (name) {
    case 'mosquitto':
      return startMosquitto(place);
    case 'piminder':
      return startPiminder(place);
    case 'aedes':
      return startBareAedes(place);
    case 'piminder-os':
      return startPiminder(place, 'os');
  }
}
