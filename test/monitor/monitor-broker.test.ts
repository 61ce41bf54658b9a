import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type RunningBroker } from '../helpers/broker.js';
import { createTestPki, type TestPki } from '../helpers/pki.js';
import { tempDir } from '../helpers/temp-dir.js';
import {
  connectAs,
  report,
  startTestMonitor,
  testConfig,
  type RunningTestMonitor,
} from './harness.js';
import { waitFor } from './log-capture.js';

let dir: { path: string; remove: () => void };
let pki: TestPki;
let broker: RunningBroker;
const clients: MqttClient[] = [];
const monitors: RunningTestMonitor[] = [];

beforeAll(async () => {
  dir = tempDir('monitor-broker');
  pki = await createTestPki(join(dir.path, 'certs'), [
    ['backup', 'service'],
    ['nas', 'service'],
    ['monitor', 'monitor'],
    ['monitor2', 'monitor'],
  ]);
  broker = await startTestBroker({ certsDir: pki.dir, dataDir: join(dir.path, 'data') });
});

afterEach(async () => {
  await Promise.all(monitors.splice(0).map((running) => running.monitor.close()));
  await Promise.all(clients.splice(0).map((client) => client.endAsync(true)));
});

afterAll(async () => {
  await broker?.close();
  dir?.remove();
});

async function client(name: string): Promise<MqttClient> {
  const connected = await connectAs(pki, broker.port, name);
  clients.push(connected);
  return connected;
}

async function monitor(): Promise<RunningTestMonitor> {
  const running = await startTestMonitor(testConfig(broker.port, pki.dir));
  monitors.push(running);
  await waitFor('the retained replay', () => running.monitor.state.link === 'up');
  return running;
}

/** The statuses of services the test reports for; the broker reports on itself as well. */
function reported(running: RunningTestMonitor) {
  return running.monitor.state.statuses.filter((status) => status.service !== 'piminder');
}

/** Clears what a test reported, so the next test starts from an empty table. */
async function clearAll(publisher: MqttClient, ...topics: string[]): Promise<void> {
  for (const topic of topics) await publisher.publishAsync(topic, '', { qos: 1, retain: true });
}

describe('monitor against a real broker', () => {
  it('shows a major, silences it by button and by another monitor, and clears', async () => {
    const backup = await client('backup');
    const running = await monitor();
    const { isOn, backend, monitor: m } = running;
    await waitFor('all-clear at start', () => isOn('green'));

    await report(backup, 'piminder/status/backup', { severity: 'major', message: 'backup failed' });
    await waitFor('the major output on', () => isOn('red'));
    expect(isOn('green')).toBe(false);

    backend.press('ack');
    await waitFor('the major output off after the button', () => !isOn('red'));
    expect(m.state.statuses[0]).toMatchObject({ service: 'backup', acknowledged: true });
    await waitFor('all-clear after the acknowledgement', () => isOn('green'));

    await report(backup, 'piminder/status/backup', { severity: 'major', message: 'disk gone' });
    await waitFor('the major output on for the new major', () => isOn('red'));

    const other = await client('monitor2');
    const id = m.state.statuses[0]?.id;
    await other.publishAsync('piminder/ack/backup', JSON.stringify({ id }), { qos: 1 });
    await waitFor('the major output off after the other monitor', () => !isOn('red'));

    await report(backup, 'piminder/status/backup', { severity: 'major', message: 'again' });
    await waitFor('the major output on again', () => isOn('red'));
    await clearAll(backup, 'piminder/status/backup');
    await waitFor('the major output off after the clear', () => !isOn('red'));
    await waitFor('all-clear after the clear', () => isOn('green'));
    expect(reported(running)).toEqual([]);
  });

  it('acknowledges only the top status with ack-top and clears acknowledged ones', async () => {
    const backup = await client('backup');
    const nas = await client('nas');
    const running = await monitor();
    const { isOn, backend } = running;

    await report(backup, 'piminder/status/backup', { severity: 'major', message: 'failed' });
    await report(nas, 'piminder/status/nas/disk', { severity: 'minor', message: 'disk 91%' });
    await waitFor('major shown', () => isOn('red'));
    expect(isOn('amber')).toBe(false);

    backend.press('top');
    await waitFor('minor once the major is acknowledged', () => isOn('amber') && !isOn('red'));

    backend.press('clear');
    await waitFor('the acknowledged status cleared', () => reported(running).length === 1);
    expect(reported(running)[0]).toMatchObject({ service: 'nas', check: 'disk' });
    expect(isOn('amber')).toBe(true);

    await clearAll(nas, 'piminder/status/nas/disk');
    await waitFor('all-clear', () => isOn('green'));
  });

  it('switches the stale output on when a status with ttl 1 s stops reporting', async () => {
    const nas = await client('nas');
    const running = await monitor();
    await report(nas, 'piminder/status/nas', { severity: 'ok', message: 'alive', ttl: 1 });
    await waitFor('the ok status seen', () => reported(running).length === 1);
    expect(running.isOn('green')).toBe(true);

    await waitFor('the stale output on', () => running.isOn('stale'));
    expect(running.isOn('amber')).toBe(true);
    expect(running.isOn('green')).toBe(false);
    expect(reported(running)[0]).toMatchObject({ service: 'nas', stale: true });

    await clearAll(nas, 'piminder/status/nas');
    await waitFor('all-clear', () => running.isOn('green'));
  });

  it('shows an info status on the info output only', async () => {
    const backup = await client('backup');
    const running = await monitor();
    await report(backup, 'piminder/status/backup/weekly', { severity: 'info', message: 'ran' });
    await waitFor('the info output on', () => running.isOn('blue'));
    expect(running.isOn('green')).toBe(false);
    await clearAll(backup, 'piminder/status/backup/weekly');
    await waitFor('all-clear', () => running.isOn('green'));
  });

  it('publishes nothing for a press with nothing to do, and refuses an unknown input', async () => {
    const running = await monitor();
    await expect(running.monitor.press('ack')).resolves.toBe(0);
    await expect(running.monitor.press('clear')).resolves.toBe(0);
    await expect(running.monitor.press('nope')).rejects.toThrow('no input "nope"');
  });
});
