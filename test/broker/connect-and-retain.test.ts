import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createTestPki, type TestPki } from '../helpers/pki.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startTestBroker, type RunningBroker } from '../helpers/broker.js';
import { Clients, Inbox, waitFor } from './support.js';

let dir: ReturnType<typeof tempDir>;
let pki: TestPki;
let broker: RunningBroker;
const clients = new Clients();

beforeAll(async () => {
  dir = tempDir('broker-basic');
  pki = await createTestPki(join(dir.path, 'certs'), [
    ['svc-a', 'service'],
    ['monitor', 'monitor'],
  ]);
  broker = await startTestBroker({ certsDir: pki.dir, dataDir: join(dir.path, 'data') });
});

afterEach(() => clients.endAll());

afterAll(async () => {
  await broker?.close();
  dir?.remove();
});

describe('a broker with mutual TLS', () => {
  it('listens on the port it reports', () => {
    expect(broker.host).toBe('127.0.0.1');
    expect(broker.port).toBeGreaterThan(0);
  });

  it('stores a reported status normalised and replays it retained to a monitor', async () => {
    const service = await clients.connect(pki, broker.port, 'svc-a');
    await service.publishAsync(
      'piminder/status/svc-a',
      '{"severity":"minor","message":"disk 91%"}',
      {
        qos: 1,
        retain: true,
      },
    );

    const monitor = await clients.connect(pki, broker.port, 'monitor');
    const inbox = new Inbox(monitor);
    await monitor.subscribeAsync('piminder/status/#', { qos: 1 });
    await waitFor(() => inbox.on('piminder/status/svc-a').length === 1, 'the retained status');

    const [message] = inbox.on('piminder/status/svc-a');
    expect(message?.retain).toBe(true);
    const status = JSON.parse(message?.payload.toString() ?? '') as Record<string, unknown>;
    expect(status).toMatchObject({
      service: 'svc-a',
      check: null,
      severity: 'minor',
      message: 'disk 91%',
      acknowledged: false,
    });
    expect(typeof status.id).toBe('string');
    expect(Date.parse(String(status.receivedAt))).not.toBeNaN();
  });
});
