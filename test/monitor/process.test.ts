import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type RunningBroker } from '../helpers/broker.js';
import { createTestPki, type TestPki } from '../helpers/pki.js';
import { tempDir } from '../helpers/temp-dir.js';
import {
  ensureStopped,
  spawnCrashingMonitor,
  spawnMonitorCli,
  writeConfig,
  type ChildMonitor,
} from './child-monitor.js';
import { connectAs, report, TEST_INPUTS, TEST_OUTPUTS } from './harness.js';
import { waitFor } from './log-capture.js';

let dir: { path: string; remove: () => void };
let pki: TestPki;
let broker: RunningBroker;
let backup: MqttClient;
const children: ChildMonitor[] = [];

const LINES = TEST_OUTPUTS.length + TEST_INPUTS.length;

beforeAll(async () => {
  dir = tempDir('monitor-process');
  pki = await createTestPki(join(dir.path, 'certs'), [
    ['backup', 'service'],
    ['monitor', 'monitor'],
  ]);
  broker = await startTestBroker({ certsDir: pki.dir, dataDir: join(dir.path, 'data') });
  backup = await connectAs(pki, broker.port, 'backup');
  await report(backup, 'piminder/status/backup', { severity: 'major', message: 'failed' });
});

afterEach(async () => {
  await Promise.all(children.splice(0).map(ensureStopped));
});

afterAll(async () => {
  await backup?.endAsync(true);
  await broker?.close();
  dir?.remove();
});

function config(port: number): string {
  return writeConfig(dir.path, {
    broker: { url: `mqtts://127.0.0.1:${port}`, certs: pki.dir, identity: 'monitor' },
    linkDownAfter: 1,
    replaySettleMs: 1000,
    reconnect: { minMs: 100, maxMs: 400 },
    outputs: TEST_OUTPUTS,
    inputs: TEST_INPUTS,
  });
}

function cli(port: number): ChildMonitor {
  const child = spawnMonitorCli(config(port));
  children.push(child);
  return child;
}

/** Every output's last logged change is off, and every line was released exactly once. */
function expectSafeState(child: ChildMonitor): void {
  const last = child.lastChanges();
  expect([...last.keys()].sort()).toEqual(TEST_OUTPUTS.map((output) => output.name).sort());
  for (const line of last.values()) expect(line).toMatchObject({ on: false, value: 0 });
  expect(child.count('safe state: outputs off, lines released')).toBe(1);
  expect(child.count('line released')).toBe(LINES);
}

describe('monitor process', () => {
  it('Ctrl-C twice quickly goes to safe state once and releases lines once', async () => {
    const child = cli(broker.port);
    await child.waitLine('the major output on', (l) => l.output === 'red' && l.on === true);

    child.process.kill('SIGINT');
    child.process.kill('SIGINT');
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expectSafeState(child);
    expect(child.count('stopping')).toBe(1);
  });

  it('SIGTERM during start-up, before the replay, still leaves everything off', async () => {
    const child = cli(broker.port);
    await child.waitLine('the first line claimed', (l) => l.msg === 'output changed');

    child.process.kill('SIGTERM');
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expectSafeState(child);
  });

  it('takes presses from stdin and SIGUSR1; SIGTERM then switches every output off', async () => {
    const child = cli(broker.port);
    await child.waitLine('the major output on', (l) => l.output === 'red' && l.on === true);

    child.process.stdin?.write('press nothing\npress ack\n');
    await waitFor('the major output off', () => child.changesOf('red').length === 3);
    expect(child.changesOf('red')).toEqual([false, true, false]);
    expect(child.lines).toContainEqual(
      expect.objectContaining({ msg: 'simulated press refused', input: 'nothing' }),
    );
    expect(child.lines).toContainEqual(
      expect.objectContaining({ msg: 'button pressed', input: 'ack', action: 'ack-all', count: 1 }),
    );

    child.process.kill('SIGUSR1');
    await child.waitLine('the second press', (l) => l.msg === 'button pressed' && l.count === 0);
    await report(backup, 'piminder/status/backup', { severity: 'major', message: 'failed again' });
    await waitFor('the new major on', () => child.changesOf('red').length === 4);
    expect(child.changesOf('red')).toEqual([false, true, false, true]);

    child.process.kill('SIGTERM');
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expectSafeState(child);
    expect(child.lines).toContainEqual(
      expect.objectContaining({ msg: 'stopping', signal: 'SIGTERM' }),
    );
  });

  it('an uncaught exception leaves every output off and exits 1', async () => {
    const child = spawnCrashingMonitor('exception', config(1));
    children.push(child);
    expect(await child.exited).toEqual({ code: 1, signal: null });

    expect(child.lines).toContainEqual(
      expect.objectContaining({ msg: 'monitor crashed', origin: 'uncaughtException' }),
    );
    expect(child.lines).toContainEqual(
      expect.objectContaining({ msg: 'output changed', output: 'link', on: true }),
    );
    expectSafeState(child);
  });

  it('an unhandled rejection leaves every output off and exits 1', async () => {
    const child = spawnCrashingMonitor('rejection', config(1));
    children.push(child);
    expect(await child.exited).toEqual({ code: 1, signal: null });

    expect(child.lines).toContainEqual(
      expect.objectContaining({ msg: 'monitor crashed', origin: 'unhandledRejection' }),
    );
    expectSafeState(child);
  });
});
