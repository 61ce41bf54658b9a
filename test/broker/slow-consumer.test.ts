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

const MESSAGES = 3000;
const BODY = 'x'.repeat(4096);

beforeAll(async () => {
  dir = tempDir('broker-slow');
  pki = await createTestPki(join(dir.path, 'certs'), [['admin', 'admin']]);
  broker = await startTestBroker({
    certsDir: pki.dir,
    dataDir: join(dir.path, 'data'),
    // Long enough that waiting for the stalled socket would fail the test by itself.
    limits: { drainTimeout: 120_000, maxClientBacklog: 256 * 1024 },
  });
});

afterEach(() => clients.endAll());

afterAll(async () => {
  await broker?.close();
  dir?.remove();
});

describe('a subscriber that stops reading', () => {
  it('does not hold back delivery to the others, and is dropped', async () => {
    const slow = await clients.connect(pki, broker.port, 'admin');
    await slow.subscribeAsync('load/#', { qos: 1 });
    const slowClosed = new Promise<void>((resolve) => slow.once('close', () => resolve()));
    (slow.stream as unknown as { pause(): void }).pause();

    const fast = await clients.connect(pki, broker.port, 'admin');
    const inbox = new Inbox(fast);
    await fast.subscribeAsync('load/#', { qos: 1 });

    const publisher = await clients.connect(pki, broker.port, 'admin');
    const sends: Array<Promise<unknown>> = [];
    for (let n = 0; n < MESSAGES; n++)
      sends.push(publisher.publishAsync(`load/${n % 10}`, BODY, { qos: 1 }));
    await Promise.all(sends);

    await waitFor(
      () => inbox.messages.length === MESSAGES,
      'every message at the fast subscriber',
      20_000,
    );
    expect(inbox.messages).toHaveLength(MESSAGES);

    // Reading again, the slow client finds its connection closed by the broker.
    (slow.stream as unknown as { resume(): void }).resume();
    await slowClosed;
  });
});
