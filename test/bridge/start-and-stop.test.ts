import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bridgeConfig, startBridge } from '../../bridge/index.js';
import { isPiminderError } from '../../lib/errors.js';
import { call, silentLogger, startFixture, type Fixture } from './bridge-fixture.js';

/** Start-up refusals, an idempotent close, and `piminder bridge` as a process. */
let fixture: Fixture;
beforeAll(async () => {
  fixture = await startFixture({ broker: false });
});
afterAll(async () => fixture?.close());

async function startFailure(values: Parameters<typeof bridgeConfig>[0]): Promise<string> {
  try {
    const bridge = await startBridge(bridgeConfig(values), { logger: silentLogger() });
    await bridge.close();
  } catch (error) {
    expect(isPiminderError(error)).toBe(true);
    return `${(error as { code: string }).code}: ${(error as Error).message}`;
  }
  throw new Error('the bridge started');
}

describe('starting the bridge', () => {
  it('refuses a certificate folder without the server certificate, naming the file', async () => {
    const certs = join(fixture.pki.dir, 'nowhere');
    expect(await startFailure({ certs, port: 0 })).toBe(
      `PIMINDER_ERR_BRIDGE_CERTS: cannot read ${join(certs, 'server.key')}: ENOENT`,
    );
  });

  it('refuses a missing identity certificate', async () => {
    const message = await startFailure({ certs: fixture.pki.dir, identity: 'ghost', port: 0 });
    expect(message).toMatch(/^PIMINDER_ERR_CLIENT_FILES: cannot read certificate .*ghost\.crt/);
  });

  it('refuses a port in use', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const message = await startFailure({ certs: fixture.pki.dir, host: '127.0.0.1', port });
      expect(message).toMatch(/^PIMINDER_ERR_BRIDGE_LISTEN: cannot listen on 127\.0\.0\.1:\d+/);
    } finally {
      blocker.close();
    }
  });

  it('closes once however often close is called', async () => {
    const values = { certs: fixture.pki.dir, data: fixture.dataDir, port: 0 };
    const config = bridgeConfig({ ...values, broker: 'mqtts://127.0.0.1:1' });
    const bridge = await startBridge(config, { logger: silentLogger() });
    const answer = await call({ pki: fixture.pki, bridgePort: bridge.port }, 'GET', '/healthz');
    expect(answer.status).toBe(503);
    await Promise.all([bridge.close(), bridge.close()]);
    await bridge.close();
    await expect(
      call({ pki: fixture.pki, bridgePort: bridge.port }, 'GET', '/healthz'),
    ).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('piminder bridge', () => {
  it('serves until SIGTERM, then stops and exits 0', async () => {
    const cli = fileURLToPath(new URL('../../tools/piminder.js', import.meta.url));
    const args = [cli, 'bridge', '--certs', fixture.pki.dir, '--data', fixture.dataDir];
    args.push('--port', '0', '--broker', 'mqtts://127.0.0.1:1');
    const child = spawn(process.execPath, args, {
      env: { PATH: process.env.PATH },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: Array<Record<string, unknown>> = [];
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const part of parts) lines.push(JSON.parse(part) as Record<string, unknown>);
    });

    try {
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no "bridge listening" line')), 45_000);
        const poll = setInterval(() => {
          const ready = lines.find((line) => line.msg === 'bridge listening');
          if (ready === undefined) return;
          clearInterval(poll);
          clearTimeout(timer);
          resolve(ready.port as number);
        }, 50);
      });
      const answer = await call({ pki: fixture.pki, bridgePort: port }, 'GET', '/api/v1/whoami', {
        user: 'viewer',
      });
      expect(answer.json).toMatchObject({ name: 'viewer', role: 'monitor' });

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(lines.some((line) => line.msg === 'bridge stopped')).toBe(true);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
