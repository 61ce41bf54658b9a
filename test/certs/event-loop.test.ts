import { afterAll, describe, expect, it } from 'vitest';
import { generateKeys } from '../../tools/certs/pki.js';
import { initCa, issueClient } from '../../tools/certs/store.js';
import { tempDir } from '../helpers/temp-dir.js';
import { KEYGEN_TIMEOUT } from './support.js';

const folder = tempDir('certs-loop');
afterAll(() => folder.remove());

describe('key generation and the event loop', { timeout: KEYGEN_TIMEOUT }, () => {
  it('generates a key pair off the event loop: an immediate queued first runs first', async () => {
    const order: string[] = [];
    setImmediate(() => order.push('immediate'));
    // Synchronous generation would settle in this turn's microtasks, before any immediate.
    await generateKeys().then(() => order.push('keys'));
    expect(order).toEqual(['immediate', 'keys']);
  });

  it('keeps timers firing while init and issue run', async () => {
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 1);
    try {
      await initCa(folder.path);
      const afterInit = ticks;
      expect(afterInit).toBeGreaterThan(0);
      await issueClient(folder.path, 'busy-loop', 'service');
      expect(ticks).toBeGreaterThan(afterInit);
    } finally {
      clearInterval(timer);
    }
  });
});
