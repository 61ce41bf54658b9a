import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createTestPki, type TestPki } from '../helpers/pki.js';
import { tempDir } from '../helpers/temp-dir.js';
import {
  spawnBroker,
  startTestBroker,
  type RunningBroker,
  type SpawnedBroker,
} from '../helpers/broker.js';
import { Clients, retainedSnapshot, waitFor } from './support.js';

let dir: ReturnType<typeof tempDir>;
let pki: TestPki;
const brokers: SpawnedBroker[] = [];
const restarted: RunningBroker[] = [];
const clients = new Clients();

type Json = Record<string, unknown>;

beforeAll(async () => {
  dir = tempDir('broker-lifecycle-restart');
  pki = await createTestPki(join(dir.path, 'certs'), [
    ['svc-a', 'service'],
    ['sentinel', 'service'],
    ['monitor', 'monitor'],
  ]);
});

afterEach(async () => {
  await clients.endAll();
  await Promise.all(brokers.splice(0).map((broker) => broker.stop('SIGKILL')));
  await Promise.all(restarted.splice(0).map((broker) => broker.close()));
});

afterAll(() => dir?.remove());

/** A restart in this process, where no further crash is needed. */
async function restart(data: string): Promise<RunningBroker> {
  const broker = await startTestBroker({ certsDir: pki.dir, dataDir: join(dir.path, data) });
  restarted.push(broker);
  return broker;
}

async function start(data: string): Promise<SpawnedBroker> {
  const broker = await spawnBroker({ certsDir: pki.dir, dataDir: join(dir.path, data) });
  brokers.push(broker);
  return broker;
}

async function crash(broker: SpawnedBroker): Promise<void> {
  await clients.endAll();
  expect(await broker.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
}

async function storedOn(broker: { port: number }, topic: string): Promise<string | undefined> {
  return (await retainedSnapshot(clients, pki, broker.port)).get(topic);
}

describe('the status lifecycle across kill -9', () => {
  it('keeps an acknowledgement, seen by a monitor that connects afterwards', async () => {
    const topic = 'piminder/status/svc-a/backup';
    const first = await start('data-ack');
    const service = await clients.connect(pki, first.port, 'svc-a');
    await service.publishAsync(topic, '{"severity":"major","message":"backup failed"}', {
      qos: 1,
      retain: true,
    });
    const monitor = await clients.connect(pki, first.port, 'monitor');
    await monitor.publishAsync('piminder/ack/svc-a/backup', '', { qos: 1 });
    await waitFor(async () => {
      const payload = await storedOn(first, topic);
      return payload !== undefined && (JSON.parse(payload) as Json).acknowledged === true;
    }, 'the acknowledgement');
    await crash(first);

    const second = await restart('data-ack');
    const status = JSON.parse((await storedOn(second, topic)) ?? '{}') as Json;
    expect(status).toMatchObject({
      acknowledged: true,
      acknowledgedBy: 'monitor',
      message: 'backup failed',
    });
  });

  it('marks a status that expired while the broker was down stale at start, once', async () => {
    const topic = 'piminder/status/svc-a/nightly';
    const first = await start('data-ttl');
    const service = await clients.connect(pki, first.port, 'svc-a');
    await service.publishAsync(topic, '{"severity":"ok","message":"nightly","ttl":2}', {
      qos: 1,
      retain: true,
    });
    const fresh = JSON.parse((await storedOn(first, topic)) ?? '{}') as Json;
    expect(fresh.stale).toBeUndefined();
    await crash(first);

    const expiry = Date.parse(String(fresh.receivedAt)) + 2000;
    await waitFor(() => Date.now() > expiry, 'the ttl to run out while down');

    const second = await start('data-ttl');
    const stale = (await storedOn(second, topic)) ?? '{}';
    expect(JSON.parse(stale)).toMatchObject({
      id: fresh.id,
      stale: true,
      receivedAt: fresh.receivedAt,
    });
    await crash(second);

    const third = await restart('data-ttl');
    expect(await storedOn(third, topic)).toBe(stale);
  });
});
