import { writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it, type ExpectStatic } from 'vitest';
import type { Status } from '../../lib/status-payload.js';
import { issueClientCertificate } from '../../tools/certs/pki.js';
import { certPaths, loadCa, revoke } from '../../tools/certs/store.js';
import { createTestPki } from '../helpers/pki.js';
import {
  expectSuccess,
  ofService,
  startCliFixture,
  waitForBrokerLine,
  type CliFixture,
} from './cli-fixture.js';
import { runCli, runLikeCron, type CliResult } from './cli-runner.js';

let fixture: CliFixture;

beforeAll(async () => {
  fixture = await startCliFixture('cli-publish');
});

afterAll(async () => {
  await fixture?.close();
});

function publish(args: string[], env: Record<string, string> = fixture.env): Promise<CliResult> {
  return runCli(['publish', ...args], { env });
}

/** One line on stderr, nothing on stdout: what cron mails to its owner. */
function expectOneLine(expect: ExpectStatic, result: CliResult, pattern: RegExp): void {
  expect(result.stdout).toBe('');
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(pattern);
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

interface SilentListener {
  port: number;
  count: () => number;
  close: () => Promise<void>;
}

/** A TCP listener that counts connections and never answers. */
async function silentListener(): Promise<SilentListener> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no port');

  const close = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  return { port: address.port, count: () => connections, close };
}

/**
 * Each case runs its own child processes and touches its own topic, so they run side by side;
 * a cold child on a busy two-core machine can take many seconds, hence the long timeout.
 */
const CHILD_TEST = { timeout: 120_000 };

describe.concurrent('piminder publish', CHILD_TEST, () => {
  it('stores a report under the certificate CN that status --json shows', async ({ expect }) => {
    const result = await publish([
      '--identity',
      'backup',
      '--severity',
      'major',
      '--message',
      'disk 91% full',
      '--check',
      'disk',
      '--ttl',
      '3600',
    ]);

    expectSuccess(result);
    expect(result.stdout).toBe('');
    const shown = await runCli(['status', '--json'], { env: fixture.env });
    expectSuccess(shown);
    const stored = ofService(JSON.parse(shown.stdout) as Status[], 'backup');
    expect(stored.find((status) => status.check === 'disk')).toMatchObject({
      service: 'backup',
      check: 'disk',
      severity: 'major',
      message: 'disk 91% full',
      ttl: 3600,
      acknowledged: false,
    });
  });

  it('works from a crontab line: env -i, PIMINDER_* only, no terminal, stdin closed', async ({
    expect,
  }) => {
    const result = await runLikeCron(['publish', '--severity', 'info', '--message', 'nightly ok'], {
      ...fixture.env,
      PIMINDER_IDENTITY: 'backup',
      PIMINDER_TIMEOUT: '30',
    });

    expect(result).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const statuses = ofService(await fixture.statuses(), 'backup');
    expect(statuses.find((status) => status.check === null)).toMatchObject({
      severity: 'info',
      message: 'nightly ok',
    });
  });

  it('--clear removes the status for every reader', async ({ expect }) => {
    await fixture.publishAs('backup', 'tmp');
    expect(ofService(await fixture.statuses(), 'backup').map((s) => s.check)).toContain('tmp');

    const result = await publish(['--identity', 'backup', '--check', 'tmp', '--clear']);

    expectSuccess(result);
    expect(ofService(await fixture.statuses(), 'backup').map((s) => s.check)).not.toContain('tmp');
  });

  it('fails with one line when nothing listens on the broker port', async ({ expect }) => {
    const port = await closedPort();

    const result = await publish(['--identity', 'backup', '--severity', 'ok', '--message', 'x'], {
      ...fixture.env,
      PIMINDER_URL: `mqtts://127.0.0.1:${port}`,
    });

    expect(result.code).toBe(1);
    const address = `127\\.0\\.0\\.1:${port}`;
    const refused = new RegExp(`connection refused: nothing is listening on ${address}`);
    expectOneLine(expect, result, refused);
  });

  it('reports a refused payload: a monitor may not report a status', async ({ expect }) => {
    const args = ['--identity', 'monitor', '--severity', 'major', '--message', 'x'];
    const result = await publish(args);

    expect(result.code).toBe(1);
    expectOneLine(
      expect,
      result,
      /the broker refused the report on piminder\/status\/monitor: a monitor may only clear/,
    );
    expect(ofService(await fixture.statuses(), 'monitor')).toEqual([]);
  });

  it('names the TLS reason for a certificate from a foreign CA', async ({ expect }) => {
    const foreign = await createTestPki(join(fixture.root, 'foreign'), [['intruder', 'service']]);
    const paths = certPaths(foreign.dir);

    const result = await publish([
      '--cert',
      paths.clientCert('intruder'),
      '--key',
      paths.clientKey('intruder'),
      '--ca',
      certPaths(fixture.pki.dir).caCert,
      '--severity',
      'major',
      '--message',
      'x',
    ]);

    expect(result.code).toBe(1);
    const reason =
      /TLS failure: unknown CA: .*intruder\.crt: it is not signed by the CA in .*ca\.crt/;
    expectOneLine(expect, result, reason);
    expect(ofService(await fixture.statuses(), 'intruder')).toEqual([]);
  });

  it('fails with the TLS reason once the certificate is revoked and the CRL reloaded', async ({
    expect,
  }) => {
    await fixture.publishAs('doomed', undefined, 'alive');
    const linesBefore = fixture.brokerLines.length;

    await revoke(fixture.pki.dir, 'doomed');
    await waitForBrokerLine(fixture, 'trust reloaded', linesBefore);
    const result = await publish(['--identity', 'doomed', '--severity', 'major', '--message', 'x']);

    expect(result.code).toBe(1);
    expectOneLine(
      expect,
      result,
      /TLS failure: revoked: .*doomed\.crt: its serial [0-9A-F]+ is listed in .*crl\.pem/,
    );
    const [stored] = ofService(await fixture.statuses(), 'doomed');
    expect(stored).toMatchObject({ severity: 'ok', message: 'alive' });
  });
});

describe.concurrent('piminder publish refuses bad input before connecting', CHILD_TEST, () => {
  let listener: SilentListener;
  let env: Record<string, string>;

  beforeAll(async () => {
    listener = await silentListener();
    const url = `mqtts://127.0.0.1:${listener.port}`;
    env = { ...fixture.env, PIMINDER_URL: url, PIMINDER_IDENTITY: 'backup' };
  });

  afterAll(async () => {
    await listener.close();
  });

  // Every other wrong value is covered in-process by publish-options.test.ts; these prove
  // the exit code and that no connection is even attempted.
  it.for([
    ['-5', /invalid report: ttl must be more than 0 seconds/],
    ['0', /invalid report: ttl must be more than 0 seconds/],
    ['31536001', /invalid report: ttl must be at most 31536000 seconds \(one year\)/],
  ] as const)('refuses --ttl %s with exit code 2, never connecting', async (row, { expect }) => {
    const [ttl, pattern] = row;
    const result = await publish(['--severity', 'major', '--message', 'x', '--ttl', ttl], env);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(pattern);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stdout).toBe('');
    expect(listener.count()).toBe(0);
  });

  it('tells to quote a message that the shell split at its spaces', async ({ expect }) => {
    const result = await publish(['--severity', 'major', '--message', 'backup', 'failed'], env);

    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "error: too many arguments for 'publish'. Expected 0 arguments but got 1. " +
        'Quote a value that has spaces, e.g. --message "backup failed" (see --help)\n',
    );
    expect(listener.count()).toBe(0);
  });

  it('names the missing certificate file of an identity', async ({ expect }) => {
    const args = ['--identity', 'ghost', '--severity', 'ok', '--message', 'x'];
    const result = await publish(args, env);

    expect(result.code).toBe(1);
    expectOneLine(expect, result, /cannot read certificate .*clients\/ghost\.crt: ENOENT/);
    expect(listener.count()).toBe(0);
  });
});
