import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { BrokerLink } from '../../bridge/broker-link.js';
import { identityFiles, readClientTls } from '../../lib/client-identity.js';
import type { TableChange } from '../../lib/status-table.js';
import { startTestBroker, type RunningBroker } from '../helpers/broker.js';
import { createTestPki, type TestPki } from '../helpers/pki.js';
import { tempDir } from '../helpers/temp-dir.js';
import { silentLogger } from './bridge-fixture.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function until(condition: () => boolean, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function publishAs(pki: TestPki, port: number, name: string, topic: string, body: string) {
  const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${port}`, {
    ...pki.client(name),
    ca: pki.ca,
    clientId: name,
    reconnectPeriod: 0,
  });
  await client.publishAsync(topic, body, { qos: 1, retain: true });
  await client.endAsync();
}

describe('the bridge after a broker restart', () => {
  it('keeps every status that is still there and drops only the one cleared meanwhile', async () => {
    const dir = tempDir('broker-link');
    cleanups.push(dir.remove);
    const certs = join(dir.path, 'certs');
    const data = join(dir.path, 'data');
    const pki = await createTestPki(certs, [
      ['svc', 'service'],
      ['bridge', 'bridge'],
      ['admin', 'admin'],
    ]);
    let broker: RunningBroker = await startTestBroker({ certsDir: certs, dataDir: data });
    cleanups.push(() => broker.close());
    const { port } = broker;
    const report = JSON.stringify({ severity: 'major', message: 'down' });
    await publishAs(pki, port, 'svc', 'piminder/status/svc/stays', report);
    await publishAs(pki, port, 'svc', 'piminder/status/svc/goes', report);

    const link = new BrokerLink({
      url: `mqtts://127.0.0.1:${port}`,
      identity: 'bridge',
      tls: readClientTls(identityFiles(certs, 'bridge')),
      prefix: 'piminder',
      publishTimeoutMs: 10_000,
      logger: silentLogger(),
    });
    const changes: TableChange[] = [];
    link.table.on('change', (change) => changes.push(change));
    link.start();
    cleanups.push(() => link.close());
    await until(() => link.synced && link.table.size >= 2, 'the first replay');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(changes.filter((change) => change.kind === 'delete')).toEqual([]);
    expect(link.table.get('piminder/status/svc/stays')).toMatchObject({ message: 'down' });

    await broker.close();
    await until(() => !link.synced, 'the link to notice');
    broker = await startTestBroker({ certsDir: certs, dataDir: data, port });
    await publishAs(pki, port, 'admin', 'piminder/status/svc/goes', '');

    await until(() => link.table.get('piminder/status/svc/goes') === undefined, 'the clear');
    await until(() => link.synced, 'the link to come back');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const deleted = changes.filter((change) => change.kind === 'delete').map((c) => c.topic);
    expect(deleted).toEqual(['piminder/status/svc/goes']);
    expect(link.table.get('piminder/status/svc/stays')).toMatchObject({ message: 'down' });
  }, 90_000);
});
