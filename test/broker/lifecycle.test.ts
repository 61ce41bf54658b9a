import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { createTestPki, type TestPki } from '../helpers/pki.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startTestBroker, type RunningBroker } from '../helpers/broker.js';
import { issueServerCertificate } from '../../tools/certs/pki.js';
import { certificateReport } from '../../broker/self-status.js';
import { Clients, Inbox, retainedSnapshot, waitFor } from './support.js';
import { closed } from './fixtures.js';

let dir: ReturnType<typeof tempDir>;
let pki: TestPki;
let broker: RunningBroker;
const clients = new Clients();
const others: RunningBroker[] = [];

type Json = Record<string, unknown>;

beforeAll(async () => {
  dir = tempDir('broker-lifecycle');
  pki = await createTestPki(join(dir.path, 'certs'), [
    ['svc-a', 'service'],
    ['sentinel', 'service'],
    ['monitor', 'monitor'],
    ['bridge', 'bridge'],
    ['admin', 'admin'],
  ]);
  broker = await startTestBroker({ certsDir: pki.dir, dataDir: join(dir.path, 'data') });
});

afterEach(async () => {
  await clients.endAll();
  await Promise.all(others.splice(0).map((other) => other.close()));
});

afterAll(async () => {
  await broker?.close();
  dir?.remove();
});

const report = (severity: string, message: string, extra: Json = {}) =>
  JSON.stringify({ severity, message, ...extra });

async function stored(topic: string): Promise<Json | undefined> {
  const payload = (await retainedSnapshot(clients, pki, broker.port)).get(topic);
  return payload === undefined ? undefined : (JSON.parse(payload) as Json);
}

/** A monitor watching one status topic, with its retained replay already in. */
async function watch(topic: string): Promise<{ client: MqttClient; inbox: Inbox }> {
  const client = await clients.connect(pki, broker.port, 'monitor');
  const inbox = new Inbox(client);
  await client.subscribeAsync(topic, { qos: 1 });
  return { client, inbox };
}

async function reportAs(topic: string, payload: string) {
  const service = await clients.connect(pki, broker.port, 'svc-a');
  await service.publishAsync(topic, payload, { qos: 1, retain: true });
  await service.endAsync();
}

describe('acknowledge', () => {
  it('marks the status acknowledged by the monitor, consuming the ack itself', async () => {
    const topic = 'piminder/status/svc-a/ack';
    await reportAs(topic, report('major', 'backup failed'));
    const before = await stored(topic);

    const bridge = await clients.connect(pki, broker.port, 'bridge');
    const bridgeInbox = new Inbox(bridge);
    await bridge.subscribeAsync('piminder/#', { qos: 1 });

    const monitor = await clients.connect(pki, broker.port, 'monitor');
    await monitor.publishAsync('piminder/ack/svc-a/ack', JSON.stringify({ id: before?.id }), {
      qos: 1,
    });
    await waitFor(
      () => bridgeInbox.json(topic).some((status) => status.acknowledged === true),
      'the ack',
    );

    const after = await stored(topic);
    expect(after).toMatchObject({ id: before?.id, acknowledged: true, acknowledgedBy: 'monitor' });
    expect(Date.parse(String(after?.acknowledgedAt))).not.toBeNaN();
    expect(
      bridgeInbox.messages.filter((message) => message.topic.startsWith('piminder/ack/')),
    ).toEqual([]);
  });

  it('acknowledges whatever is current with an empty payload', async () => {
    const topic = 'piminder/status/svc-a/empty-ack';
    await reportAs(topic, report('minor', 'disk 91%'));
    const admin = await clients.connect(pki, broker.port, 'admin');
    await admin.publishAsync('piminder/ack/svc-a/empty-ack', '', { qos: 1 });
    expect(await stored(topic)).toMatchObject({ acknowledged: true, acknowledgedBy: 'admin' });
  });

  it('refuses an ack from a service, with no status or a stale id; nothing changes', async () => {
    const topic = 'piminder/status/svc-a/refused';
    await reportAs(topic, report('major', 'still broken'));
    const before = await stored(topic);

    const attempts: Array<[string, string, string]> = [
      ['svc-a', 'piminder/ack/svc-a/refused', ''],
      ['monitor', 'piminder/ack/svc-a/nothing-here', ''],
      ['monitor', 'piminder/ack/svc-a/refused', JSON.stringify({ id: 'not-the-current-id' })],
      ['monitor', 'piminder/ack/svc-a/refused', '{"id": 5}'],
    ];
    for (const [name, ackTopic, payload] of attempts) {
      const client = await clients.connect(pki, broker.port, name);
      const gone = closed(client);
      client.publish(ackTopic, payload, { qos: 1 });
      await gone;
    }
    expect(await stored(topic)).toEqual(before);
    expect(await stored('piminder/status/svc-a/nothing-here')).toBeUndefined();
  });
});

describe('acknowledge on behalf of someone', () => {
  it('records the name a bridge gives as who acknowledged', async () => {
    const topic = 'piminder/status/svc-a/by-bridge';
    await reportAs(topic, report('major', 'seen on the page'));
    const before = await stored(topic);

    const bridge = await clients.connect(pki, broker.port, 'bridge');
    const ack = JSON.stringify({ id: before?.id, by: 'alice' });
    await bridge.publishAsync('piminder/ack/svc-a/by-bridge', ack, { qos: 1 });
    await waitFor(async () => (await stored(topic))?.acknowledged === true, 'the ack');
    expect(await stored(topic)).toMatchObject({ acknowledged: true, acknowledgedBy: 'alice' });
  });

  it('refuses "by" from a monitor and a "by" that is not a name; nothing changes', async () => {
    const topic = 'piminder/status/svc-a/by-refused';
    await reportAs(topic, report('major', 'not yours to name'));
    const before = await stored(topic);

    const attempts: Array<[string, string]> = [
      ['monitor', JSON.stringify({ id: before?.id, by: 'alice' })],
      ['bridge', JSON.stringify({ id: before?.id, by: '../alice' })],
    ];
    for (const [name, payload] of attempts) {
      const client = await clients.connect(pki, broker.port, name);
      const gone = closed(client);
      client.publish('piminder/ack/svc-a/by-refused', payload, { qos: 1 });
      await gone;
    }
    expect(await stored(topic)).toEqual(before);
  });
});

describe('repeats', () => {
  it('keeps the acknowledgement for the same content and resets it for new content', async () => {
    const topic = 'piminder/status/svc-a/repeat';
    await reportAs(topic, report('minor', 'disk 91%'));
    const first = await stored(topic);
    const monitor = await clients.connect(pki, broker.port, 'monitor');
    await monitor.publishAsync('piminder/ack/svc-a/repeat', '', { qos: 1 });

    await reportAs(topic, report('minor', 'disk 91%', { timestamp: '2026-01-02T03:04:05Z' }));
    const repeated = await stored(topic);
    expect(repeated).toMatchObject({
      id: first?.id,
      acknowledged: true,
      acknowledgedBy: 'monitor',
    });
    expect(repeated?.timestamp).toBe('2026-01-02T03:04:05Z');

    await reportAs(topic, report('minor', 'disk 95%'));
    const changed = await stored(topic);
    expect(changed?.acknowledged).toBe(false);
    expect(changed?.acknowledgedBy).toBeUndefined();
    expect(changed?.id).not.toBe(first?.id);
  });
});

describe('clear', () => {
  it('removes a status for the owning service and for an admin', async () => {
    for (const name of ['svc-a', 'admin']) {
      const topic = `piminder/status/svc-a/clear-${name}`;
      await reportAs(topic, report('info', 'to be cleared'));
      const client = await clients.connect(pki, broker.port, name);
      await client.publishAsync(topic, '', { qos: 1, retain: true });
      expect(await stored(topic)).toBeUndefined();
    }
  });
});

describe('ttl', () => {
  it('marks a status stale once its ttl runs out, not before', async () => {
    const topic = 'piminder/status/svc-a/ttl';
    const { inbox } = await watch(topic);
    await reportAs(topic, report('ok', 'nightly job', { ttl: 1 }));
    await waitFor(
      () => inbox.json(topic).some((status) => status.stale === true),
      'the stale status',
    );

    const fresh = inbox.json(topic).find((status) => status.stale === undefined);
    const staleIndex = inbox.json(topic).findIndex((status) => status.stale === true);
    const staleMessage = inbox.on(topic)[staleIndex];
    expect(fresh).toBeDefined();
    expect(staleMessage?.retain).toBe(false);
    const stale = inbox.json(topic)[staleIndex];
    expect(stale).toMatchObject({ id: fresh?.id, severity: 'ok', stale: true });
    expect(staleMessage?.at).toBeGreaterThanOrEqual(Date.parse(String(fresh?.receivedAt)) + 1000);
    expect((await stored(topic))?.stale).toBe(true);
  });

  it('keeps a status fresh while it is refreshed before expiry', async () => {
    const topic = 'piminder/status/svc-a/refreshed';
    const { inbox } = await watch(topic);
    const service = await clients.connect(pki, broker.port, 'svc-a');
    for (let round = 0; round < 6; round++) {
      await service.publishAsync(topic, report('ok', 'alive', { ttl: 2 }), {
        qos: 1,
        retain: true,
      });
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await waitFor(() => inbox.on(topic).length >= 6, 'every refresh');
    expect(inbox.json(topic).filter((status) => status.stale === true)).toEqual([]);
    await service.publishAsync(topic, '', { qos: 1, retain: true });
  });
});

describe("the broker's own statuses", () => {
  it('reports itself running and its certificates fine', async () => {
    expect(await stored('piminder/status/piminder/broker')).toMatchObject({
      service: 'piminder',
      check: 'broker',
      severity: 'ok',
    });
    expect(await stored('piminder/status/piminder/certificates')).toMatchObject({ severity: 'ok' });
  });

  it('grades certificate expiry: minor from 30 days, major from 7', () => {
    const now = new Date('2026-06-01T00:00:00Z');
    const inDays = (days: number) => new Date(now.getTime() + days * 86_400_000);
    const grade = (server: number, ca: number) =>
      certificateReport({ serverNotAfter: inDays(server), caNotAfter: inDays(ca) }, now).severity;
    expect(grade(31, 3000)).toBe('ok');
    expect(grade(29, 3000)).toBe('minor');
    expect(grade(3000, 29)).toBe('minor');
    expect(grade(6, 3000)).toBe('major');
    expect(grade(3000, 6.5)).toBe('major');
  });

  it('warns on start when the server certificate expires within 30 days', async () => {
    const certs = join(dir.path, 'certs-expiring');
    mkdirSync(certs);
    for (const file of ['ca.crt', 'crl.pem']) copyFileSync(join(pki.dir, file), join(certs, file));
    const ca = {
      certPem: readFileSync(join(pki.dir, 'ca.crt'), 'utf8'),
      keyPem: readFileSync(join(pki.dir, 'ca.key'), 'utf8'),
    };
    const server = await issueServerCertificate(ca, {
      cn: 'localhost',
      sans: ['127.0.0.1'],
      days: 20,
    });
    writeFileSync(join(certs, 'server.crt'), server.certPem);
    writeFileSync(join(certs, 'server.key'), server.keyPem, { mode: 0o600 });
    chmodSync(join(certs, 'server.key'), 0o600);

    const expiring = await startTestBroker({
      certsDir: certs,
      dataDir: join(dir.path, 'data-expiring'),
    });
    others.push(expiring);
    const snapshot = await retainedSnapshot(clients, pki, expiring.port);
    const status = JSON.parse(
      snapshot.get('piminder/status/piminder/certificates') ?? '{}',
    ) as Json;
    expect(status).toMatchObject({ severity: 'minor' });
    expect(String(status.message)).toContain('server certificate expires');
  });
});
