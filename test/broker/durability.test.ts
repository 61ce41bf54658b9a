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
import { Clients, Inbox, retainedSnapshot, waitFor } from './support.js';

let dir: ReturnType<typeof tempDir>;
let pki: TestPki;
const brokers: SpawnedBroker[] = [];
const restarted: RunningBroker[] = [];
const clients = new Clients();

const SERVICES = ['svc-0', 'svc-1', 'svc-2', 'svc-3', 'svc-4'];
const CHECKS_PER_SERVICE = 100;

beforeAll(async () => {
  dir = tempDir('broker-durability');
  pki = await createTestPki(join(dir.path, 'certs'), [
    ...SERVICES.map((name) => [name, 'service'] as [string, 'service']),
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

/** The restart after a crash runs in this process: only the crash needs a child process. */
async function restart(data: string, heartbeatInterval?: number): Promise<RunningBroker> {
  const dataDir = join(dir.path, data);
  const broker = await startTestBroker({ certsDir: pki.dir, dataDir, heartbeatInterval });
  restarted.push(broker);
  return broker;
}

async function start(data: string, env: NodeJS.ProcessEnv = {}): Promise<SpawnedBroker> {
  const broker = await spawnBroker({ certsDir: pki.dir, dataDir: join(dir.path, data), env });
  brokers.push(broker);
  return broker;
}

const topicOf = (service: string, check: number) => `piminder/status/${service}/check-${check}`;

describe('a PUBACKed status survives kill -9', () => {
  it('keeps the latest of 500 statuses and none of the cleared ones', async () => {
    const first = await start('data-kill');
    const expected = new Map<string, string>();
    const cleared = new Set<string>();

    await Promise.all(
      SERVICES.map(async (service) => {
        const client = await clients.connect(pki, first.port, service);
        const publishes: Array<Promise<unknown>> = [];
        for (let check = 0; check < CHECKS_PER_SERVICE; check++) {
          const topic = topicOf(service, check);
          const report = { severity: 'info', message: `first ${service} ${check}` };
          publishes.push(
            client.publishAsync(topic, JSON.stringify(report), { qos: 1, retain: true }),
          );
        }
        await Promise.all(publishes);

        // A second round rewrites every tenth check and clears every twenty-fifth.
        for (let check = 0; check < CHECKS_PER_SERVICE; check++) {
          const topic = topicOf(service, check);
          if (check % 25 === 0) {
            await client.publishAsync(topic, '', { qos: 1, retain: true });
            cleared.add(topic);
          } else if (check % 10 === 0) {
            const report = { severity: 'major', message: `latest ${service} ${check}` };
            await client.publishAsync(topic, JSON.stringify(report), { qos: 1, retain: true });
            expected.set(topic, report.message);
          } else {
            expected.set(topic, `first ${service} ${check}`);
          }
        }
      }),
    );
    expect(expected.size + cleared.size).toBe(SERVICES.length * CHECKS_PER_SERVICE);

    // Every PUBACK is in: kill without any chance to flush.
    await clients.endAll();
    expect(await first.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });

    const second = await restart('data-kill');
    const snapshot = await retainedSnapshot(clients, pki, second.port, 'piminder/status/+/+');
    const received = new Map(
      [...snapshot]
        .filter(([topic]) => !topic.startsWith('piminder/status/piminder/'))
        .map(([topic, payload]) => [topic, (JSON.parse(payload) as { message: string }).message]),
    );
    expect(received).toEqual(expected);
    for (const topic of cleared) expect(received.has(topic)).toBe(false);
  });

  it('publishes a will stored before the crash, once the old broker is known dead', async () => {
    const first = await start('data-will', { PIMINDER_HEARTBEAT_INTERVAL: '200' });
    const will = {
      topic: 'piminder/status/svc-0/alive',
      payload: Buffer.from('{"severity":"major","message":"svc-0 lost"}'),
      qos: 1 as const,
      retain: true,
    };
    await clients.connect(pki, first.port, 'svc-0', { will, keepalive: 0 });
    await first.stop('SIGKILL');
    await clients.endAll();

    const second = await restart('data-will', 200);
    const monitor = await clients.connect(pki, second.port, 'monitor');
    const inbox = new Inbox(monitor);
    await monitor.subscribeAsync(will.topic, { qos: 1 });
    await waitFor(() => inbox.on(will.topic).length > 0, 'the replayed will');
    const [status] = inbox.json(will.topic);
    expect(status).toMatchObject({ service: 'svc-0', check: 'alive', message: 'svc-0 lost' });
    expect(typeof status?.id).toBe('string');
  });
});
