import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createTestPki, type TestPki } from '../helpers/pki.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startTestBroker, type RunningBroker } from '../helpers/broker.js';
import { revoke } from '../../tools/certs/store.js';
import { Clients, waitFor } from './support.js';

let dir: ReturnType<typeof tempDir>;
let pki: TestPki;
let broker: RunningBroker;
const clients = new Clients();

beforeAll(async () => {
  dir = tempDir('broker-revocation');
  pki = await createTestPki(join(dir.path, 'certs'), [
    ['svc-a', 'service'],
    ['svc-b', 'service'],
    ['monitor', 'monitor'],
  ]);
  broker = await startTestBroker({
    certsDir: pki.dir,
    dataDir: join(dir.path, 'data'),
    trustReloadInterval: 250,
  });
});

afterEach(() => clients.endAll());

afterAll(async () => {
  await broker?.close();
  dir?.remove();
});

describe('revocation without a restart', () => {
  it('disconnects a live client within 5 s of revocation and refuses it afterwards', async () => {
    const files = { ...pki.client('svc-a'), ca: pki.ca };
    const victim = await clients.connectWith(broker.port, files, { clientId: 'svc-a' });
    const bystander = await clients.connect(pki, broker.port, 'svc-b');
    let closedAt = 0;
    victim.once('close', () => (closedAt = Date.now()));

    const revokedAt = Date.now();
    await revoke(pki.dir, 'svc-a');
    await waitFor(() => closedAt > 0, 'the revoked client to be disconnected', 10_000);
    expect(closedAt - revokedAt).toBeLessThan(5000);
    expect(bystander.connected).toBe(true);

    await clients.refused(broker.port, files, { clientId: 'svc-a' });
    await clients.connect(pki, broker.port, 'svc-b');
  });

  it('keeps accepting valid and newly issued certificates after a reload', async () => {
    const fresh = await pki.issue('svc-new', 'service');
    await clients.connectWith(broker.port, { ...fresh, ca: pki.ca }, { clientId: 'svc-new' });
  });
});
