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

const report = (message: string) => JSON.stringify({ severity: 'info', message });

beforeAll(async () => {
  dir = tempDir('broker-wildcards');
  pki = await createTestPki(join(dir.path, 'certs'), [
    ['svc-a', 'service'],
    ['monitor', 'monitor'],
    ['admin', 'admin'],
  ]);
  broker = await startTestBroker({ certsDir: pki.dir, dataDir: join(dir.path, 'data') });

  const service = await clients.connect(pki, broker.port, 'svc-a');
  await service.publishAsync('piminder/status/svc-a', report('service level'), {
    qos: 1,
    retain: true,
  });
  await service.publishAsync('piminder/status/svc-a/disk', report('check level'), {
    qos: 1,
    retain: true,
  });
  const admin = await clients.connect(pki, broker.port, 'admin');
  await admin.publishAsync('$SYS/piminder/note', 'retained system note', { qos: 1, retain: true });
  await admin.publishAsync('piminder/note', 'retained plain note', { qos: 1, retain: true });
  await clients.endAll();
});

afterEach(() => clients.endAll());

afterAll(async () => {
  await broker?.close();
  dir?.remove();
});

/** Subscribes and returns the inbox once `marker` (a retained topic) has been replayed. */
async function subscribed(name: string, filters: string[], marker: string) {
  const client = await clients.connect(pki, broker.port, name);
  const inbox = new Inbox(client);
  await client.subscribeAsync(filters, { qos: 1 });
  await waitFor(() => inbox.on(marker).length > 0, `the replay of ${marker}`);
  return { client, inbox };
}

describe('wildcard subscriptions', () => {
  it('gives piminder/status/+ the service-level statuses only', async () => {
    const marker = 'piminder/status/piminder/broker';
    const { inbox } = await subscribed('monitor', ['piminder/status/+', marker], marker);
    expect(inbox.on('piminder/status/svc-a')).toHaveLength(1);
    expect(inbox.on('piminder/status/svc-a/disk')).toHaveLength(0);
  });

  it('gives piminder/status/# both levels', async () => {
    const { inbox } = await subscribed(
      'monitor',
      ['piminder/status/#'],
      'piminder/status/svc-a/disk',
    );
    expect(inbox.on('piminder/status/svc-a')).toHaveLength(1);
  });
});

describe('$SYS and first-level wildcards [MQTT-4.7.2-1]', () => {
  it('replays no retained $SYS message to # or +/#', async () => {
    const { client, inbox } = await subscribed('admin', ['#', '+/#'], 'piminder/note');
    // New connections make Aedes publish on $SYS/<id>/new/clients: live, not only retained.
    await clients.connect(pki, broker.port, 'svc-a');
    await client.publishAsync('piminder/ping', 'after', { qos: 1 });
    await waitFor(() => inbox.on('piminder/ping').length > 0, 'the live marker');
    expect(inbox.messages.filter((message) => message.topic.startsWith('$'))).toEqual([]);
  });

  it('replays it to an admin that names $SYS', async () => {
    const { inbox } = await subscribed('admin', ['$SYS/piminder/#'], '$SYS/piminder/note');
    expect(inbox.on('$SYS/piminder/note')[0]?.payload.toString()).toBe('retained system note');
  });
});

describe('retain flag and QoS of deliveries', () => {
  it('sets retain=1 on replay and retain=0 on live delivery', async () => {
    const topic = 'piminder/status/svc-a/flag';
    const service = await clients.connect(pki, broker.port, 'svc-a');
    await service.publishAsync(topic, report('before'), { qos: 1, retain: true });

    const { inbox } = await subscribed('monitor', [topic], topic);
    await service.publishAsync(topic, report('after'), { qos: 1, retain: true });
    await waitFor(() => inbox.on(topic).length === 2, 'the live delivery');
    expect(inbox.on(topic).map((message) => message.retain)).toEqual([true, false]);
  });

  it('replays at the lower of the stored and the granted QoS [MQTT-3.8.4]', async () => {
    const admin = await clients.connect(pki, broker.port, 'admin');
    await admin.publishAsync('piminder/qos2', 'stored at 2', { qos: 2, retain: true });

    const atZero = await clients.connect(pki, broker.port, 'monitor');
    const zeroInbox = new Inbox(atZero);
    await atZero.subscribeAsync('piminder/status/+', { qos: 0 });
    await waitFor(() => zeroInbox.on('piminder/status/svc-a').length > 0, 'the QoS 0 replay');
    expect(zeroInbox.on('piminder/status/svc-a')[0]?.qos).toBe(0);

    const atOne = await clients.connect(pki, broker.port, 'admin');
    const oneInbox = new Inbox(atOne);
    await atOne.subscribeAsync('piminder/+', { qos: 1 });
    await waitFor(() => oneInbox.on('piminder/qos2').length === 1, 'the QoS 1 replay');
    expect(oneInbox.on('piminder/qos2')[0]?.qos).toBe(1);

    // Live deliveries through a wildcard are capped the same way.
    await admin.publishAsync('piminder/qos2', 'live at 2', { qos: 2, retain: true });
    await waitFor(() => oneInbox.on('piminder/qos2').length === 2, 'the live delivery');
    expect(oneInbox.on('piminder/qos2')[1]?.qos).toBe(1);

    const atTwo = await clients.connect(pki, broker.port, 'admin');
    const inbox = new Inbox(atTwo);
    await atTwo.subscribeAsync('piminder/qos2', { qos: 2 });
    await waitFor(() => inbox.on('piminder/qos2').length === 1, 'the QoS 2 replay');
    expect(inbox.on('piminder/qos2')[0]?.qos).toBe(2);
  });
});
