import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect as netConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { createTestPki, type TestPki } from '../helpers/pki.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startTestBroker, type RunningBroker } from '../helpers/broker.js';
import { Clients, waitFor } from './support.js';

let dir: ReturnType<typeof tempDir>;
let pki: TestPki;
let broker: RunningBroker;
const clients = new Clients();
const sockets: Socket[] = [];

beforeAll(async () => {
  dir = tempDir('broker-limits');
  pki = await createTestPki(join(dir.path, 'certs'), [['svc-a', 'service']]);
  broker = await startTestBroker({
    certsDir: pki.dir,
    dataDir: join(dir.path, 'data'),
    limits: { maxConnections: 2, handshakeTimeout: 500, keepAliveLimit: 120 },
  });
});

afterEach(async () => {
  await clients.endAll();
  for (const socket of sockets.splice(0)) socket.destroy();
});

afterAll(async () => {
  await broker?.close();
  dir?.remove();
});

const files = () => ({ ...pki.client('svc-a'), ca: pki.ca });

describe('connection limits', () => {
  it('closes a TCP connection that never starts its TLS handshake', async () => {
    const socket = netConnect(broker.port, '127.0.0.1');
    sockets.push(socket);
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    expect(socket.destroyed).toBe(true);
  });

  it('refuses connections beyond maxConnections and accepts again once one closes', async () => {
    const first = await clients.connectWith(broker.port, files(), { clientId: 'svc-a:1' });
    await clients.connectWith(broker.port, files(), { clientId: 'svc-a:2' });
    await clients.refused(broker.port, files(), { clientId: 'svc-a:3' });

    await first.endAsync();
    // The broker sees the close a little later; retry until the slot is free.
    await waitFor(async () => {
      try {
        await clients.connectWith(broker.port, files(), { clientId: 'svc-a:4' });
        return true;
      } catch {
        return false;
      }
    }, 'a free connection slot');
  });

  it('refuses a keep-alive over the limit, and keep-alive 0, when a limit is set', async () => {
    await clients.refused(broker.port, files(), { clientId: 'svc-a:long', keepalive: 600 });
    await clients.refused(broker.port, files(), { clientId: 'svc-a:zero', keepalive: 0 });
    await clients.connectWith(broker.port, files(), { clientId: 'svc-a:ok', keepalive: 60 });
  });
});
