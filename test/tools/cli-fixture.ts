import { Writable } from 'node:stream';
import { join } from 'node:path';
import { createLogger } from '../../lib/logger.js';
import type { Role } from '../../lib/roles.js';
import type { Status } from '../../lib/status-payload.js';
import { resolveConnection } from '../../tools/client/connection-settings.js';
import { publishRequest } from '../../tools/client/publish-report.js';
import { readStatuses } from '../../tools/client/status-snapshot.js';
import { quietLogger, startTestBroker, type RunningBroker } from '../helpers/broker.js';
import { createTestPki, type TestPki } from '../helpers/pki.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitUntil, type CliResult } from './cli-runner.js';

/** Quiet period for in-process reads: the broker is on loopback and the data set small. */
const SETTLE_MS = 300;

/** A real broker on loopback with a PKI, and the environment a CLI child needs to reach it. */
export interface CliFixture {
  root: string;
  pki: TestPki;
  broker: RunningBroker;
  /** PIMINDER_URL and PIMINDER_CERTS for this broker. */
  env: Record<string, string>;
  /** Broker log lines so far, parsed. */
  brokerLines: Array<Record<string, unknown>>;
  /** The stored statuses as a monitor reads them over MQTT, in this process. */
  statuses: () => Promise<Status[]>;
  /** Publishes a report as an identity over MQTT, in this process; resolves after PUBACK. */
  publishAs: (identity: string, check?: string, message?: string) => Promise<void>;
  close: () => Promise<void>;
}

export const CLIENTS: Array<[string, Role]> = [
  ['backup', 'service'],
  ['doomed', 'service'],
  ['monitor', 'monitor'],
];

function lineCollector(lines: Array<Record<string, unknown>>): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString().split('\n')) {
        if (text.trim() !== '') lines.push(JSON.parse(text) as Record<string, unknown>);
      }
      done();
    },
  });
}

export async function startCliFixture(label: string): Promise<CliFixture> {
  const dir = tempDir(label);
  const pki = await createTestPki(join(dir.path, 'certs'), CLIENTS);
  const brokerLines: Array<Record<string, unknown>> = [];
  const destination = lineCollector(brokerLines);
  const logger = createLogger({ name: 'broker', level: 'info', destination });
  const broker = await startTestBroker({
    certsDir: pki.dir,
    dataDir: join(dir.path, 'data'),
    logger,
    trustReloadInterval: 100,
  });
  const env = { PIMINDER_URL: `mqtts://127.0.0.1:${broker.port}`, PIMINDER_CERTS: pki.dir };

  const monitor = resolveConnection({}, { env, defaultIdentity: 'monitor' });
  const statuses = async () => (await readStatuses(monitor, SETTLE_MS, quietLogger())).list();
  const publishAs = async (identity: string, check?: string, message = 'x') => {
    const settings = resolveConnection({ identity }, { env });
    const report = { severity: 'ok' as const, message };
    await publishRequest(settings, { kind: 'report', report, check }, quietLogger());
  };
  const close = async () => {
    await broker.close();
    dir.remove();
  };
  return { root: dir.path, pki, broker, env, brokerLines, statuses, publishAs, close };
}

/** Fails with the child's stderr, so a broken run explains itself. */
export function expectSuccess(result: CliResult): void {
  if (result.code !== 0) {
    throw new Error(`piminder exited ${result.code ?? result.signal}: ${result.stderr}`);
  }
}

/** Waits for a broker log line with this message (and fields), e.g. "trust reloaded". */
export function waitForBrokerLine(fixture: CliFixture, msg: string, after = 0): Promise<void> {
  return waitUntil(
    () => fixture.brokerLines.slice(after).some((line) => line.msg === msg),
    `broker log line "${msg}"`,
  );
}

/** The statuses of one service, in the order `status --json` gives them. */
export function ofService<T extends { service?: unknown }>(statuses: T[], service: string): T[] {
  return statuses.filter((status) => status.service === service);
}
