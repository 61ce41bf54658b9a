import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { createTestPki, type TestPki } from '../helpers/pki.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startTestBroker, type RunningBroker } from '../helpers/broker.js';
import { Clients, Inbox, waitFor } from './support.js';

// The broker answers a client's session questions (stored subscriptions, queued messages,
// QoS 2 receipts, will) from memory when nothing is stored for its id. These tests hold it to
// what LevelDB holds: across disconnects, across clean and persistent connects of one id, and
// across a restart, when the index is rebuilt from the database.

let dir: ReturnType<typeof tempDir>;
let pki: TestPki;
let broker: RunningBroker;
const clients = new Clients();

const start = () =>
  startTestBroker({ certsDir: pki.dir, dataDir: join(dir.path, 'data') }).then((started) => {
    broker = started;
  });

beforeAll(async () => {
  dir = tempDir('broker-sessions');
  pki = await createTestPki(join(dir.path, 'certs'), [
    ['svc-a', 'service'],
    ['monitor', 'monitor'],
  ]);
  await start();
});

afterEach(() => clients.endAll());

afterAll(async () => {
  await broker?.close();
  dir?.remove();
});

function connectSession(clientId: string, clean: boolean): Promise<MqttClient> {
  return clients.connect(pki, broker.port, 'monitor', { clientId, clean });
}

const sessionPresentOf = (client: MqttClient) => clients.sessionPresent(client);

async function report(check: string, message: string) {
  const service = await clients.connect(pki, broker.port, 'svc-a');
  const body = JSON.stringify({ severity: 'minor', message });
  await service.publishAsync(`piminder/status/svc-a/${check}`, body, { qos: 1 });
  await service.endAsync();
}

async function messagesAfterReconnect(clientId: string, topic: string, count: number) {
  const client = await connectSession(clientId, false);
  const inbox = new Inbox(client);
  await waitFor(() => inbox.on(topic).length >= count, `${count} queued message(s) on ${topic}`);
  return { client, inbox };
}

describe('persistent sessions', () => {
  it('keeps the subscription and queues what arrives while the monitor is away', async () => {
    const id = 'monitor:away';
    const first = await connectSession(id, false);
    expect(sessionPresentOf(first)).toBe(false);
    await first.subscribeAsync('piminder/status/svc-a/away', { qos: 1 });
    await first.endAsync();

    await report('away', 'queued while away');

    const { client, inbox } = await messagesAfterReconnect(id, 'piminder/status/svc-a/away', 1);
    expect(sessionPresentOf(client)).toBe(true);
    const [queued] = inbox.json('piminder/status/svc-a/away');
    expect(queued).toMatchObject({ message: 'queued while away', severity: 'minor' });
  });

  it('forgets the session when the same id connects with a clean session', async () => {
    const id = 'monitor:wiped';
    const first = await connectSession(id, false);
    await first.subscribeAsync('piminder/status/svc-a/wiped', { qos: 1 });
    await first.endAsync();

    const clean = await connectSession(id, true);
    expect(sessionPresentOf(clean)).toBe(false);
    await clean.endAsync();

    await report('wiped', 'nobody is subscribed');
    const again = await connectSession(id, false);
    const inbox = new Inbox(again);
    expect(sessionPresentOf(again)).toBe(false);
    // A marker proves delivery is running: anything queued would have arrived before it.
    await again.subscribeAsync('piminder/status/svc-a/marker', { qos: 1 });
    await report('marker', 'after');
    await waitFor(() => inbox.on('piminder/status/svc-a/marker').length > 0, 'the marker');
    expect(inbox.on('piminder/status/svc-a/wiped')).toEqual([]);
  });

  it('finds a stored session again after a restart, and queues for it', async () => {
    const id = 'monitor:restart';
    const first = await connectSession(id, false);
    await first.subscribeAsync('piminder/status/svc-a/restart', { qos: 1 });
    await first.endAsync();

    await report('restart', 'before the restart');
    await broker.close();
    await start();
    await report('restart', 'after the restart');

    const { client, inbox } = await messagesAfterReconnect(id, 'piminder/status/svc-a/restart', 2);
    expect(sessionPresentOf(client)).toBe(true);
    // aedes-persistence-level orders a queue by broker id first, and each broker process has
    // a new one: what was queued before and after a restart arrives, not always in that order.
    const messages = inbox.json('piminder/status/svc-a/restart').map((status) => status.message);
    expect(messages.sort()).toEqual(['after the restart', 'before the restart']);
  });

  it('gives a clean session no session, however often it reconnects', async () => {
    for (let round = 0; round < 3; round += 1) {
      const client = await connectSession('monitor:clean', true);
      expect(sessionPresentOf(client)).toBe(false);
      await client.subscribeAsync('piminder/status/svc-a/clean', { qos: 1 });
      await client.endAsync();
    }
  });
});
