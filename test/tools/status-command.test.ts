import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Status } from '../../lib/status-payload.js';
import { ackTopic, statusTopic } from '../../lib/topics.js';
import { openConnection } from '../../tools/client/broker-connection.js';
import { resolveConnection } from '../../tools/client/connection-settings.js';
import { quietLogger, startTestBroker } from '../helpers/broker.js';
import { revoke } from '../../tools/certs/store.js';
import {
  expectSuccess,
  ofService,
  startCliFixture,
  waitForBrokerLine,
  type CliFixture,
} from './cli-fixture.js';
import { CLI, runCli, startCli, startProcess, waitUntil } from './cli-runner.js';

const CLEAR_SCREEN = '\u001b[H\u001b[2J';

let fixture: CliFixture;

/** Statuses enough that the replay spans many socket reads, not one burst. */
const MANY = 150;

/** Publishes as an identity over one connection: QoS 1, retained, each acknowledged. */
async function publishMany(identity: string, messages: Array<[string, string]>): Promise<void> {
  const settings = resolveConnection({ identity }, { env: fixture.env });
  const connection = await openConnection(settings, 'test', quietLogger());
  try {
    for (const [topic, payload] of messages) {
      await connection.client.publishAsync(topic, payload, { qos: 1, retain: true });
    }
  } finally {
    await connection.close();
  }
}

const report = (severity: Status['severity'], message: string, ttl?: number) =>
  JSON.stringify({ severity, message, ...(ttl === undefined ? {} : { ttl }) });

beforeAll(async () => {
  fixture = await startCliFixture('cli-status');
  await publishMany('backup', [
    [statusTopic('piminder', 'backup', 'fine'), report('ok', 'all good')],
    [statusTopic('piminder', 'backup', 'disk'), report('major', 'disk 97%\nfull')],
    [statusTopic('piminder', 'backup', 'load'), report('minor', 'load 4')],
  ]);
  await publishMany('monitor', [[ackTopic('piminder', 'backup', 'load'), '']]);
  await publishMany('backup', [
    [statusTopic('piminder', 'backup', 'heartbeat'), report('ok', 'beat', 1)],
  ]);
  await waitUntil(async () => {
    const heartbeat = (await fixture.statuses()).find((status) => status.check === 'heartbeat');
    return heartbeat?.stale === true;
  }, 'the heartbeat status to go stale');
  const many = Array.from({ length: MANY }, (_, n): [string, string] => [
    statusTopic('piminder', 'bulk', `check-${n}`),
    report('info', `number ${n}`),
  ]);
  await fixture.pki.issue('bulk', 'service');
  await publishMany('bulk', many);
});

afterAll(async () => {
  await fixture?.close();
});

const CHILD_TEST = { timeout: 120_000 };

// One after another: the watch tests add statuses of their own to the shared broker, which
// the table and JSON tests would otherwise see if they ran at the same moment.
describe('piminder status', CHILD_TEST, () => {
  it('prints a table, most severe first, with age, acknowledgement and staleness', async ({
    expect,
  }) => {
    // A long quiet period ends the replay: on a loaded machine the default 500 ms can fall
    // between two retained messages of a large replay.
    const result = await runCli(['status', '--settle', '3000'], { env: fixture.env });

    expectSuccess(result);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SERVICE\s+CHECK\s+SEVERITY\s+AGE\s+ACK\s+STALE\s+MESSAGE$/);
    const backup = lines.filter((line) => line.startsWith('backup '));
    expect(backup).toHaveLength(4);
    expect(backup[0]).toMatch(/^backup\s+disk\s+major\s+\d+[smhd]\s+no\s+no\s+disk 97% full$/);
    // A stale status counts as minor at least, so it sorts with the minor ones.
    expect(backup[1]).toMatch(/^backup\s+heartbeat\s+ok\s+\d+[smhd]\s+no\s+yes\s+beat$/);
    expect(backup[2]).toMatch(/^backup\s+load\s+minor\s+\d+[smhd]\s+yes \(monitor\)\s+no\s+load 4/);
    expect(backup[3]).toMatch(/^backup\s+fine\s+ok\s+\d+[smhd]\s+no\s+no\s+all good$/);
    expect(lines.indexOf(backup[0] as string)).toBe(1);
  });

  it('prints every stored status as JSON, the whole replay included', async ({ expect }) => {
    const result = await runCli(['status', '--json', '--settle', '3000'], { env: fixture.env });

    expectSuccess(result);
    const statuses = JSON.parse(result.stdout) as Status[];
    expect(ofService(statuses, 'bulk')).toHaveLength(MANY);
    expect(statuses).toEqual(await fixture.statuses());
    expect(ofService(statuses, 'backup').find((status) => status.check === 'load')).toMatchObject({
      severity: 'minor',
      acknowledged: true,
      acknowledgedBy: 'monitor',
    });
  });

  it.for([
    { command: 'status', args: ['status'] },
    { command: 'status --watch', args: ['status', '--watch'] },
  ])(
    '$command fails with one line, and ends, when the identity may not read statuses',
    async ({ args }, { expect }) => {
      const result = await runCli([...args, '--identity', 'backup'], { env: fixture.env });

      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(
        /the broker refused the subscription to piminder\/status\/# for backup \(role service\)/,
      );
    },
  );

  it('--watch prints a line per change when not on a terminal, and ends on SIGTERM', async ({
    expect,
  }) => {
    const watch = startCli(['status', '--watch'], { env: fixture.env });
    try {
      const initial = ' backup/disk major "disk 97%\\nfull"';
      await watch.waitForOutput((out) => out.includes(initial), 'initial');

      await fixture.publishAs('backup', 'watched', 'new report');
      const change = /backup\/watched ok "new report" unacknowledged\n/;
      await watch.waitForOutput((out) => change.test(out), 'change');
      await publishMany('backup', [[statusTopic('piminder', 'backup', 'watched'), '']]);
      await watch.waitForOutput((out) => / backup\/watched cleared\n/.test(out), 'clear');
    } finally {
      const result = await watch.stop('SIGTERM');
      expect(result.code).toBe(0);
    }
  });

  it('--watch --json prints one JSON object per change', async ({ expect }) => {
    const watch = startCli(['status', '--watch', '--json'], { env: fixture.env });
    try {
      await watch.waitForOutput((out) => out.split('\n').length > MANY, 'initial replay');
      await fixture.publishAs('backup', 'json-watched', 'as json');
      await watch.waitForOutput((out) => out.includes('"json-watched"'), 'change');

      const changes = watch
        .stdout()
        .trim()
        .split('\n')
        .map(
          (line) =>
            JSON.parse(line) as {
              change: string;
              topic: string;
              status: Status;
            },
        );
      const last = changes.at(-1);
      expect(last).toMatchObject({
        change: 'set',
        topic: 'piminder/status/backup/json-watched',
        status: { service: 'backup', check: 'json-watched', message: 'as json' },
      });
      const bulk = changes.filter((change) => change.topic.startsWith('piminder/status/bulk/'));
      expect(bulk).toHaveLength(MANY);
    } finally {
      const result = await watch.stop('SIGINT');
      expect(result.code).toBe(0);
    }
  });
});

describe('piminder status --watch on a terminal', CHILD_TEST, () => {
  it('redraws the whole table on change', async ({ expect }) => {
    // `script` gives the child a real pseudo-terminal, as an interactive shell would.
    const command = `node ${CLI} status --watch`;
    const watch = startProcess('script', ['-qfec', command, '/dev/null'], fixture.env);
    try {
      await watch.waitForOutput((out) => out.includes('piminder status: live'), 'first drawing');
      const drawings = () => watch.stdout().split(CLEAR_SCREEN).length - 1;
      const before = drawings();

      await fixture.publishAs('backup', 'on-screen', 'drawn');

      const row = /backup\s+on-screen\s+ok\s+\S+\s+no\s+no\s+drawn/;
      await watch.waitForOutput((out) => row.test(out), 'redraw');
      expect(drawings()).toBeGreaterThan(before);
      const last = watch.stdout().split(CLEAR_SCREEN).at(-1) ?? '';
      expect(last).toMatch(/^piminder status: live, \S+\r?\n\r?\nSERVICE\s+CHECK\s+SEVERITY/);
    } finally {
      await watch.stop('SIGTERM');
    }
  });
});

describe('piminder status --watch across a broker restart', CHILD_TEST, () => {
  it('says the link is lost, reconnects to the same port and shows changes again', async ({
    expect,
  }) => {
    const dataDir = join(fixture.root, 'restart-data');
    let broker = await startTestBroker({ certsDir: fixture.pki.dir, dataDir });
    const env = { ...fixture.env, PIMINDER_URL: `mqtts://127.0.0.1:${broker.port}` };
    const publishAs = async (port: number, check: string, body: string) => {
      const url = `mqtts://127.0.0.1:${port}`;
      const settings = resolveConnection(
        { identity: 'backup' },
        { env: { ...env, PIMINDER_URL: url } },
      );
      const connection = await openConnection(settings, 'test', quietLogger());
      await connection.client.publishAsync(statusTopic('piminder', 'backup', check), body, {
        qos: 1,
        retain: true,
      });
      await connection.close();
    };
    await publishAs(broker.port, 'stays', report('major', 'still down'));
    await publishAs(broker.port, 'goes', report('major', 'fixed while away'));
    const watch = startCli(['status', '--watch'], { env });
    try {
      await watch.waitForOutput((out) => out.includes('backup/goes major'), 'initial');

      await broker.close();
      await waitUntil(() => watch.stderr().includes('link to the broker lost'), 'link lost notice');
      const meanwhile = await startTestBroker({ certsDir: fixture.pki.dir, dataDir });
      await publishAs(meanwhile.port, 'goes', '');
      await meanwhile.close();
      broker = await startTestBroker({ certsDir: fixture.pki.dir, dataDir, port: broker.port });
      const restored = () => watch.stderr().includes('link to the broker restored');
      await waitUntil(restored, 'link restored');
      await watch.waitForOutput((out) => out.includes('backup/goes cleared'), 'the sweep');
      await publishAs(broker.port, 'after-restart', report('minor', 'back again'));

      const change = 'backup/after-restart minor "back again"';
      await watch.waitForOutput((out) => out.includes(change), 'change');
      expect(watch.stdout()).not.toContain('backup/stays cleared');
    } finally {
      const result = await watch.stop('SIGTERM');
      await broker.close();
      expect(result.code).toBe(0);
    }
  });
});

describe('piminder status --watch when its certificate is revoked', CHILD_TEST, () => {
  it('ends with exit code 1 and the TLS reason instead of retrying forever', async ({ expect }) => {
    await fixture.pki.issue('watcher', 'monitor');
    const watch = startCli(['status', '--watch', '--identity', 'watcher'], { env: fixture.env });
    await watch.waitForOutput((out) => out.includes('piminder/broker ok'), 'initial');
    const linesBefore = fixture.brokerLines.length;

    await revoke(fixture.pki.dir, 'watcher');
    await waitForBrokerLine(fixture, 'trust reloaded', linesBefore);
    const result = await watch.exited();

    expect(result.code).toBe(1);
    const lastLine = result.stderr.trim().split('\n').at(-1);
    expect(lastLine).toMatch(/^piminder: TLS failure: revoked: the broker closed the connection/);
    expect(lastLine).toMatch(/watcher\.crt: its serial [0-9A-F]+ is listed in .*crl\.pem/);
  });
});
