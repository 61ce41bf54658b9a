import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { Level } from 'level';
import aedesPersistenceLevel from 'aedes-persistence-level';
import { createLogger } from '../../lib/logger.js';
import { createTestPki, type TestPki } from '../helpers/pki.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startTestBroker, type RunningBroker } from '../helpers/broker.js';
import { Clients, retainedSnapshot, waitFor } from './support.js';

let dir: ReturnType<typeof tempDir>;
let pki: TestPki;
const brokers: RunningBroker[] = [];
const clients = new Clients();

interface WillStore {
  setup(broker: { id: string }): Promise<void>;
  putWill(client: { id: string }, will: object): Promise<void>;
}

beforeAll(async () => {
  dir = tempDir('broker-stored-wills');
  pki = await createTestPki(join(dir.path, 'certs'), [
    ['svc-a', 'service'],
    ['sentinel', 'service'],
    ['monitor', 'monitor'],
  ]);
});

afterEach(async () => {
  await clients.endAll();
  await Promise.all(brokers.splice(0).map((broker) => broker.close()));
});

afterAll(() => dir?.remove());

/** Wills as a broker that has since died left them in the data folder. */
async function leaveWills(dataDir: string, wills: Array<[string, object]>): Promise<void> {
  const db = new Level<string, Buffer>(dataDir, { valueEncoding: 'buffer' });
  await db.open();
  const sessions = db.sublevel<string, Buffer>('aedes', { valueEncoding: 'buffer' });
  const store = aedesPersistenceLevel(sessions) as WillStore;
  await store.setup({ id: 'a-broker-that-died' });
  for (const [clientId, will] of wills) await store.putWill({ id: clientId }, will);
  await db.close();
}

describe('wills stored before a restart', () => {
  it('are checked against the rights of the identity that left them', async () => {
    const dataDir = join(dir.path, 'data');
    const report = Buffer.from('{"severity":"major","message":"written by a will"}');
    const will = { payload: report, qos: 1, retain: true };
    await leaveWills(dataDir, [
      [
        'svc-a:other',
        { ...will, topic: 'piminder/status/svc-b', owner: { name: 'svc-a', role: 'service' } },
      ],
      ['svc-a:anonymous', { ...will, topic: 'piminder/status/svc-c' }],
      [
        'svc-a:own',
        { ...will, topic: 'piminder/status/svc-a', owner: { name: 'svc-a', role: 'service' } },
      ],
    ]);

    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const logger = createLogger({ name: 'broker', level: 'info', destination: sink });
    const broker = await startTestBroker({
      certsDir: pki.dir,
      dataDir,
      heartbeatInterval: 200,
      logger,
    });
    brokers.push(broker);

    const refused = () =>
      lines.filter((line) => line.msg === 'publish refused').map((line) => line.topic);
    await waitFor(() => refused().length === 2, 'both foreign wills to be refused');
    expect(refused().sort()).toEqual(['piminder/status/svc-b', 'piminder/status/svc-c']);

    await waitFor(
      async () => (await retainedSnapshot(clients, pki, broker.port)).has('piminder/status/svc-a'),
      'the allowed will',
    );
    const snapshot = await retainedSnapshot(clients, pki, broker.port);
    expect(snapshot.has('piminder/status/svc-b')).toBe(false);
    expect(snapshot.has('piminder/status/svc-c')).toBe(false);
    // Refused wills are deleted, not refused again at every sweep.
    expect(refused()).toHaveLength(2);
  });
});
