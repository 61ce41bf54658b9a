import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createTestPki, issueWithoutChecks, type TestPki } from '../helpers/pki.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startTestBroker, type RunningBroker } from '../helpers/broker.js';
import { Clients, grants, Inbox, retainedSnapshot, waitFor } from './support.js';
import { closed, expiredClient, unknownRoleClient } from './fixtures.js';

let dir: ReturnType<typeof tempDir>;
let pki: TestPki;
let foreign: TestPki;
let broker: RunningBroker;
const clients = new Clients();

const REPORT = '{"severity":"major","message":"backup failed"}';

beforeAll(async () => {
  dir = tempDir('broker-access');
  pki = await createTestPki(join(dir.path, 'certs'), [
    ['svc-a', 'service'],
    ['svc-b', 'service'],
    ['sentinel', 'service'],
    ['monitor', 'monitor'],
    ['bridge', 'bridge'],
    ['admin', 'admin'],
  ]);
  await issueWithoutChecks(pki.dir, 'piminder', 'service');
  foreign = await createTestPki(join(dir.path, 'foreign'), [['svc-a', 'service']]);
  broker = await startTestBroker({ certsDir: pki.dir, dataDir: join(dir.path, 'data') });

  const service = await clients.connect(pki, broker.port, 'svc-b');
  await service.publishAsync('piminder/status/svc-b', REPORT, { qos: 1, retain: true });
  await clients.endAll();
});

afterEach(() => clients.endAll());

afterAll(async () => {
  await broker?.close();
  dir?.remove();
});

const snapshot = () => retainedSnapshot(clients, pki, broker.port);

/** Publishes something the broker must refuse: the connection closes and nothing is stored. */
async function expectRefusedPublish(name: string, topic: string, payload: string) {
  const before = await snapshot();
  const client = await clients.connect(pki, broker.port, name);
  const gone = closed(client);
  client.publish(topic, payload, { qos: 1, retain: true });
  await gone;
  expect(await snapshot()).toEqual(before);
}

describe('who may publish', () => {
  it('refuses a service reporting under another service name', async () => {
    await expectRefusedPublish('svc-a', 'piminder/status/svc-b', REPORT);
  });

  it('refuses a service clearing another service status', async () => {
    await expectRefusedPublish('svc-a', 'piminder/status/svc-b', '');
  });

  it('refuses a service publishing outside the status topics', async () => {
    await expectRefusedPublish('svc-a', 'piminder/other/svc-a', REPORT);
    await expectRefusedPublish('svc-a', '$SYS/broker/fake', REPORT);
  });

  it('refuses a monitor reporting a status', async () => {
    await expectRefusedPublish('monitor', 'piminder/status/svc-a', REPORT);
  });

  it('refuses every client reporting as the reserved service "piminder"', async () => {
    await expectRefusedPublish('piminder', 'piminder/status/piminder', REPORT);
    await expectRefusedPublish('admin', 'piminder/status/piminder/certificates', REPORT);
  });

  it('lets a monitor clear a status', async () => {
    const service = await clients.connect(pki, broker.port, 'svc-a');
    await service.publishAsync('piminder/status/svc-a/clearme', REPORT, { qos: 1, retain: true });
    expect((await snapshot()).has('piminder/status/svc-a/clearme')).toBe(true);

    const monitor = await clients.connect(pki, broker.port, 'monitor');
    await monitor.publishAsync('piminder/status/svc-a/clearme', '', { qos: 1, retain: true });
    expect((await snapshot()).has('piminder/status/svc-a/clearme')).toBe(false);
  });

  it('lets a bridge report for any service', async () => {
    const bridge = await clients.connect(pki, broker.port, 'bridge');
    await bridge.publishAsync('piminder/status/legacy-job', REPORT, { qos: 1, retain: true });
    const stored = (await snapshot()).get('piminder/status/legacy-job');
    expect(JSON.parse(stored ?? '{}')).toMatchObject({ service: 'legacy-job', severity: 'major' });
  });
});

describe('who may subscribe', () => {
  it('gives a service the failure code and no retained replay', async () => {
    const service = await clients.connect(pki, broker.port, 'svc-a');
    const inbox = new Inbox(service);
    expect(await grants(service, { 'piminder/status/#': { qos: 1 } })).toEqual([128]);

    // A live report after the refused subscribe is not delivered either.
    const other = await clients.connect(pki, broker.port, 'svc-b');
    await other.publishAsync('piminder/status/svc-b', REPORT, { qos: 1, retain: true });
    await service.publishAsync('piminder/status/svc-a/ping', REPORT, { qos: 1 });
    expect(inbox.messages).toEqual([]);
  });

  it('grants a monitor only within the status topics', async () => {
    const monitor = await clients.connect(pki, broker.port, 'monitor');
    const filters = {
      'piminder/status/+': { qos: 1 },
      'piminder/#': { qos: 1 },
      '#': { qos: 0 },
    } as const;
    expect(await grants(monitor, filters)).toEqual([1, 128, 128]);
  });

  it('keeps $SYS for admins', async () => {
    const bridge = await clients.connect(pki, broker.port, 'bridge');
    expect(await grants(bridge, { '$SYS/#': { qos: 0 } })).toEqual([128]);

    const admin = await clients.connect(pki, broker.port, 'admin');
    expect(await grants(admin, { '$SYS/#': { qos: 0 } })).toEqual([0]);
  });

  it('delivers nothing queued for a persistent session from a filter it was refused', async () => {
    const options = { clientId: 'monitor:persistent', clean: false };
    const first = await clients.connect(pki, broker.port, 'monitor', options);
    expect(await grants(first, { 'piminder/other': { qos: 1 } })).toEqual([128]);
    await first.endAsync();

    const admin = await clients.connect(pki, broker.port, 'admin');
    await admin.publishAsync('piminder/other', 'x', { qos: 1 });

    const again = await clients.connect(pki, broker.port, 'monitor', options);
    const inbox = new Inbox(again);
    await again.subscribeAsync('piminder/status/svc-b', { qos: 1 });
    await waitFor(() => inbox.on('piminder/status/svc-b').length === 1, 'the retained status');
    expect(inbox.messages.map((message) => message.topic)).toEqual(['piminder/status/svc-b']);
  });
});

describe('who may connect', () => {
  const files = (name: string) => ({ ...pki.client(name), ca: pki.ca });

  it('refuses a client id that is not the CN or CN: prefixed', async () => {
    const reason = await clients.refused(broker.port, files('svc-a'), { clientId: 'svc-b' });
    expect(reason).toMatch(/identifier rejected/i);
    const prefix = await clients.refused(broker.port, files('svc-a'), { clientId: 'svc-ab' });
    expect(prefix).toMatch(/identifier rejected/i);
  });

  it('accepts the CN and CN-prefixed client ids, and any id for an admin', async () => {
    await clients.connectWith(broker.port, files('svc-a'), { clientId: 'svc-a' });
    await clients.connectWith(broker.port, files('svc-a'), { clientId: 'svc-a:cron' });
    await clients.connectWith(broker.port, files('admin'), { clientId: 'anything' });
  });

  it('refuses a certificate from another CA', async () => {
    const other = { ...foreign.client('svc-a'), ca: pki.ca };
    await clients.refused(broker.port, other, { clientId: 'svc-a' });
  });

  it('refuses an expired certificate', async () => {
    const expired = await expiredClient(pki, 'old-job', 'service');
    await clients.refused(broker.port, expired, { clientId: 'old-job' });
  });

  it('refuses a certificate with an unknown role', async () => {
    const odd = await unknownRoleClient(pki, 'janitor');
    const reason = await clients.refused(broker.port, odd, { clientId: 'janitor' });
    expect(reason).toMatch(/not authorized/i);
  });

  it('refuses a client without a certificate', async () => {
    const reason = await clients.refused(broker.port, { ca: pki.ca } as never, { clientId: 'x' });
    expect(reason.length).toBeGreaterThan(0);
  });

  it('refuses a will the identity could not publish, and a will with a bad status', async () => {
    const will = {
      topic: 'piminder/status/svc-b',
      payload: Buffer.from(REPORT),
      qos: 1 as const,
      retain: true,
    };
    const reason = await clients.refused(broker.port, files('svc-a'), { clientId: 'svc-a', will });
    expect(reason).toMatch(/not authorized/i);

    const badWill = {
      ...will,
      topic: 'piminder/status/svc-a',
      payload: Buffer.from('{"severity":"bad"}'),
    };
    const bad = await clients.refused(broker.port, files('svc-a'), {
      clientId: 'svc-a',
      will: badWill,
    });
    expect(bad).toMatch(/not authorized/i);
  });

  it('publishes an allowed will, normalised, when the client vanishes', async () => {
    const will = {
      topic: 'piminder/status/svc-a/will',
      payload: Buffer.from('{"severity":"major","message":"svc-a went away"}'),
      qos: 1 as const,
      retain: true,
    };
    const client = await clients.connectWith(broker.port, files('svc-a'), {
      clientId: 'svc-a:will',
      will,
    });
    (client.stream as unknown as { destroy(): void }).destroy();

    await waitFor(async () => (await snapshot()).has('piminder/status/svc-a/will'), 'the will');
    const stored = JSON.parse((await snapshot()).get('piminder/status/svc-a/will') ?? '{}');
    expect(stored).toMatchObject({ service: 'svc-a', check: 'will', message: 'svc-a went away' });
  });

  it('leaves the live session alone when a second connection claims its id and fails', async () => {
    const live = await clients.connect(pki, broker.port, 'monitor', { clientId: 'monitor:main' });
    const inbox = new Inbox(live);
    await live.subscribeAsync('piminder/status/svc-a/live', { qos: 1 });

    // The same client id, presented by a certificate it does not belong to.
    const reason = await clients.refused(broker.port, files('svc-a'), { clientId: 'monitor:main' });
    expect(reason).toMatch(/identifier rejected/i);
    expect(live.connected).toBe(true);

    const service = await clients.connect(pki, broker.port, 'svc-a');
    await service.publishAsync('piminder/status/svc-a/live', REPORT, { qos: 1, retain: true });
    await waitFor(() => inbox.on('piminder/status/svc-a/live').length === 1, 'live delivery');
    expect(live.connected).toBe(true);
  });
});
