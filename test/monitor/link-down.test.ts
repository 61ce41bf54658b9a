import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { revoke } from '../../tools/certs/store.js';
import { spawnBroker, startTestBroker, type SpawnedBroker } from '../helpers/broker.js';
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
const monitors: RunningTestMonitor[] = [];
const brokers: SpawnedBroker[] = [];
const clients: MqttClient[] = [];
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  dir = tempDir('monitor-link');
  pki = await createTestPki(join(dir.path, 'certs'), [
    ['backup', 'service'],
    ['monitor', 'monitor'],
    ['revoked-monitor', 'monitor'],
    ['nas', 'service'],
  ]);
});

afterEach(async () => {
  await Promise.all(monitors.splice(0).map((running) => running.monitor.close()));
  await Promise.all(clients.splice(0).map((client) => client.endAsync(true)));
  await Promise.all(brokers.splice(0).map((broker) => broker.stop('SIGKILL')));
  await Promise.all(closers.splice(0).map((close) => close()));
});

afterAll(() => dir?.remove());

async function spawned(dataDir: string, port?: number): Promise<SpawnedBroker> {
  const broker = await spawnBroker({ certsDir: pki.dir, dataDir, ...(port ? { port } : {}) });
  brokers.push(broker);
  return broker;
}

describe('monitor link', () => {
  it('shows link-down when the broker is killed and rebuilds without a wrong state', async () => {
    const dataDir = join(dir.path, 'data-kill');
    const first = await spawned(dataDir);
    const backup = await connectAs(pki, first.port, 'backup');
    clients.push(backup);
    await report(backup, 'piminder/status/backup', { severity: 'major', message: 'failed' });
    await backup.endAsync();

    const running = await startTestMonitor(testConfig(first.port, pki.dir));
    monitors.push(running);
    const { monitor, isOn, changesOf } = running;
    await waitFor('the replay', () => monitor.state.link === 'up');
    expect(isOn('red')).toBe(true);

    await first.stop('SIGKILL');
    await waitFor('the link-down output on', () => isOn('link'));
    expect(monitor.state.link).toBe('down');
    await expect(monitor.press('ack')).rejects.toThrow('not connected to the broker');

    await spawned(dataDir, first.port);
    await waitFor('the link back up', () => monitor.state.link === 'up' && !isOn('link'));
    expect(monitor.state.statuses.find((s) => s.service === 'backup')).toMatchObject({
      severity: 'major',
      acknowledged: false,
    });

    // Every change each output went through, from start-up to the rebuilt state: the major
    // stayed on throughout, all-clear never came on, link-down came on once and went off.
    expect(changesOf('red')).toEqual([false, true]);
    expect(changesOf('green')).toEqual([false]);
    expect(changesOf('amber')).toEqual([false]);
    expect(changesOf('link')).toEqual([false, true, false]);
  });

  it('drops statuses cleared while it was away, only once the replay is complete', async () => {
    const dataDir = join(dir.path, 'data-sweep');
    const first = await startTestBroker({ certsDir: pki.dir, dataDir });
    const port = first.port;
    const backup = await connectAs(pki, port, 'backup');
    const nas = await connectAs(pki, port, 'nas');
    await report(backup, 'piminder/status/backup', { severity: 'major', message: 'failed' });
    await report(nas, 'piminder/status/nas', { severity: 'minor', message: 'disk 91%' });
    await Promise.all([backup.endAsync(), nas.endAsync()]);

    const running = await startTestMonitor(testConfig(port, pki.dir));
    monitors.push(running);
    const { monitor, isOn, changesOf, lines } = running;
    await waitFor('the replay', () => monitor.state.link === 'up' && isOn('red'));
    await first.close();
    await waitFor('the link-down output on', () => isOn('link'));

    // While the monitor cannot reach it, the same broker (same data) clears the major.
    const elsewhere = await startTestBroker({ certsDir: pki.dir, dataDir });
    const clearing = await connectAs(pki, elsewhere.port, 'backup');
    await clearing.publishAsync('piminder/status/backup', '', { qos: 1, retain: true });
    await clearing.endAsync();
    await elsewhere.close();

    const back = await startTestBroker({ certsDir: pki.dir, dataDir, port });
    closers.push(() => back.close());
    await waitFor('the link back up', () => monitor.state.link === 'up' && !isOn('link'));
    expect(isOn('red')).toBe(false);
    expect(isOn('amber')).toBe(true);
    expect(changesOf('red')).toEqual([false, true, false]);
    expect(changesOf('amber')).toEqual([false, true]);
    expect(changesOf('green')).toEqual([false]);

    // The major went off only when the replay was complete, not when the link came back.
    const replayed = lines.findLastIndex((line) => line.msg === 'replay complete');
    const redOff = lines.findLastIndex((line) => line.output === 'red' && line.on === false);
    expect(redOff).toBeGreaterThan(replayed);
  });

  it('shows link-down in time for a revoked certificate, and keeps retrying', async () => {
    await revoke(pki.dir, 'revoked-monitor');
    const broker = await startTestBroker({ certsDir: pki.dir, dataDir: join(dir.path, 'data-r') });
    closers.push(() => broker.close());

    const config = testConfig(broker.port, pki.dir, {
      broker: {
        url: `mqtts://127.0.0.1:${broker.port}`,
        certs: pki.dir,
        identity: 'revoked-monitor',
      },
    });
    const running = await startTestMonitor(config);
    monitors.push(running);

    await waitFor('the link-down output on', () => running.isOn('link'));
    expect(running.isOn('green')).toBe(false);
    await waitFor(
      'a second attempt',
      () => running.lines.filter((line) => line.msg === 'reconnect scheduled').length >= 2,
    );
    const failure = running.lines.find((line) => line.msg === 'broker connection failed');
    expect(String(failure?.reason)).toContain('refused the client certificate');
  });

  it('shows link-down for a certificate from another CA, logging the TLS reason', async () => {
    const foreign = await createTestPki(join(dir.path, 'foreign'), [['monitor', 'monitor']]);
    const broker = await startTestBroker({ certsDir: pki.dir, dataDir: join(dir.path, 'data-f') });
    closers.push(() => broker.close());

    const running = await startTestMonitor(testConfig(broker.port, foreign.dir));
    monitors.push(running);
    await waitFor('the link-down output on', () => running.isOn('link'));
    const failure = running.lines.find((line) => line.msg === 'broker connection failed');
    // The broker's certificate is not from the foreign CA the monitor trusts.
    expect(String(failure?.reason)).toMatch(/certificate|self.signed|verify/i);
  });

  it('shows link-down when nothing listens, and never all-clear', async () => {
    const running = await startTestMonitor(testConfig(1, pki.dir));
    monitors.push(running);
    await waitFor('the link-down output on', () => running.isOn('link'));
    expect(running.changesOf('green')).toEqual([false]);
    const failure = running.lines.find((line) => line.msg === 'broker connection failed');
    expect(String(failure?.reason)).toContain('ECONNREFUSED');
  });
});
