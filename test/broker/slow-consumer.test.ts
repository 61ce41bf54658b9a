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
  pki = await createTestPki(join(dir.path, 'certs'), [
    ['admin', 'admin'],
    ['svc-r', 'service'],
    ['monitor', 'monitor'],
  ]);
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

describe('a new subscriber that stops reading during its retained replay', () => {
  const STATUSES = 2000;
  const topics = Array.from({ length: STATUSES }, (_, n) => `piminder/status/svc-r/c${n}`);
  const message = `${'y'.repeat(1500)}`;

  it('is fed at its own pace, gets every status once, and holds back no one', async () => {
    const service = await clients.connect(pki, broker.port, 'svc-r');
    await Promise.all(
      topics.map((topic) =>
        service.publishAsync(topic, JSON.stringify({ severity: 'ok', message }), { qos: 1 }),
      ),
    );

    const slow = await clients.connect(pki, broker.port, 'monitor');
    const slowInbox = new Inbox(slow);
    const stream = slow.stream as unknown as { pause(): void; resume(): void };
    await slow.subscribeAsync('piminder/status/#', { qos: 1 });
    stream.pause();

    const fast = await clients.connect(pki, broker.port, 'monitor');
    const fastInbox = new Inbox(fast);
    await fast.subscribeAsync('piminder/status/svc-r/#', { qos: 1 });
    await waitFor(() => fastInbox.messages.length === STATUSES, 'the second replay', 20_000);
    // About 3 MB of statuses cannot all have fitted into the paused client's socket buffers.
    expect(slowInbox.on(topics[STATUSES - 1] ?? '')).toEqual([]);

    stream.resume();
    await waitFor(() => slowInbox.messages.length >= STATUSES, 'the first replay', 20_000);
    const received = slowInbox.messages.filter((entry) =>
      entry.topic.startsWith('piminder/status/svc-r/'),
    );
    expect(new Set(received.map((entry) => entry.topic)).size).toBe(STATUSES);
    expect(received).toHaveLength(STATUSES);
    expect(received.every((entry) => entry.retain && entry.qos === 1)).toBe(true);
  }, 60_000);
});
