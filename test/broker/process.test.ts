import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, chownSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createTestPki, type TestPki } from '../helpers/pki.js';
import { tempDir } from '../helpers/temp-dir.js';
import { spawnBroker, startTestBroker, type SpawnedBroker } from '../helpers/broker.js';
import { expiredServer } from './fixtures.js';
import { Clients } from './support.js';

const CLI = fileURLToPath(new URL('../../tools/piminder.js', import.meta.url));

let dir: ReturnType<typeof tempDir>;
let pki: TestPki;
const brokers: SpawnedBroker[] = [];
const clients = new Clients();
const servers: Server[] = [];

beforeAll(async () => {
  dir = tempDir('broker-process');
  pki = await createTestPki(join(dir.path, 'certs'), [['svc-a', 'service']]);
});

afterEach(async () => {
  await clients.endAll();
  await Promise.all(brokers.splice(0).map((broker) => broker.stop('SIGKILL')));
  await Promise.all(
    servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))),
  );
});

afterAll(() => dir?.remove());

/** Runs `piminder broker` to its exit; for start-up refusals. */
function runBroker(args: string[], uid?: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'broker', '--host', '127.0.0.1', ...args], {
      env: { PATH: process.env.PATH },
      stdio: ['ignore', 'ignore', 'pipe'],
      ...(uid === undefined ? {} : { uid }),
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => resolve({ code, stderr }));
  });
}

/** A copy of the test PKI that a case may break. */
function certsCopy(label: string): string {
  const copy = join(dir.path, `certs-${label}`);
  mkdirSync(copy);
  for (const file of ['ca.crt', 'server.crt', 'server.key', 'crl.pem']) {
    copyFileSync(join(pki.dir, file), join(copy, file));
  }
  chmodSync(join(copy, 'server.key'), 0o600);
  return copy;
}

describe('piminder broker as a process', () => {
  it('logs a ready line with the real port and exits 0 on SIGTERM', async () => {
    const broker = await spawnBroker({ certsDir: pki.dir, dataDir: join(dir.path, 'data-term') });
    brokers.push(broker);
    expect(broker.port).toBeGreaterThan(0);
    await clients.connect(pki, broker.port, 'svc-a');

    const exit = await broker.stop('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(broker.lines.some((line) => line.msg === 'broker stopped')).toBe(true);
  });

  it('exits 0 on SIGINT', async () => {
    const broker = await spawnBroker({ certsDir: pki.dir, dataDir: join(dir.path, 'data-int') });
    brokers.push(broker);
    expect(await broker.stop('SIGINT')).toEqual({ code: 0, signal: null });
  });
});

describe('start-up refusals: one line, non-zero exit', () => {
  const data = () => join(dir.path, 'data-refused');

  // The cases below run in-process: the refusal is the same error the command prints.
  const refusal = (certs: string) =>
    startTestBroker({ certsDir: certs, dataDir: join(dir.path, 'data-in-process') });

  it('refuses a missing CA file', async () => {
    const certs = certsCopy('no-ca');
    rmSync(join(certs, 'ca.crt'));
    await expect(refusal(certs)).rejects.toMatchObject({
      code: 'PIMINDER_ERR_BROKER_FILE_MISSING',
      message: expect.stringContaining('cannot read the CA certificate'),
    });
  });

  it('refuses a missing server key', async () => {
    const certs = certsCopy('no-key');
    rmSync(join(certs, 'server.key'));
    await expect(refusal(certs)).rejects.toMatchObject({
      code: 'PIMINDER_ERR_BROKER_FILE_MISSING',
      message: expect.stringContaining('cannot read the server key'),
    });
  });

  it('refuses a key readable by group or others', async () => {
    const certs = certsCopy('exposed');
    chmodSync(join(certs, 'server.key'), 0o644);
    await expect(refusal(certs)).rejects.toMatchObject({
      code: 'PIMINDER_ERR_BROKER_KEY_EXPOSED',
      message: expect.stringContaining('readable by group or others'),
      hint: expect.stringContaining('chmod 600'),
    });
  });

  it('refuses a certificate that does not match its key', async () => {
    const certs = certsCopy('mismatch');
    copyFileSync(join(pki.dir, 'clients', 'svc-a.key'), join(certs, 'server.key'));
    chmodSync(join(certs, 'server.key'), 0o600);
    await expect(refusal(certs)).rejects.toMatchObject({
      code: 'PIMINDER_ERR_BROKER_KEY_MISMATCH',
      message: expect.stringContaining('does not match the key'),
    });
  });

  it('refuses an expired server certificate', async () => {
    const certs = certsCopy('expired');
    const server = await expiredServer(pki);
    writeFileSync(join(certs, 'server.crt'), server.certPem);
    writeFileSync(join(certs, 'server.key'), server.keyPem, { mode: 0o600 });
    const start = startTestBroker({ certsDir: certs, dataDir: join(dir.path, 'data-expired') });
    await expect(start).rejects.toMatchObject({
      code: 'PIMINDER_ERR_BROKER_CERT_EXPIRED',
      message: expect.stringContaining('server.crt expired on'),
    });
  });

  // Root reads and writes anything, so as root these run the broker as nobody (uid 65534),
  // for whom root's 0600 key and root's folders are closed as for any other user.
  const asRoot = process.getuid?.() === 0;
  const otherUser = asRoot ? 65534 : undefined;

  it('refuses a server key its user cannot read, and says who must own it', async () => {
    const certs = certsCopy('not-owned');
    chmodSync(dir.path, 0o755);
    chmodSync(certs, 0o755);
    if (!asRoot) chmodSync(join(certs, 'server.key'), 0o000);

    const result = await runBroker(['--certs', certs, '--data', data(), '--port', '0'], otherUser);

    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      `piminder: cannot read the server key ${join(certs, 'server.key')}: EACCES ` +
        '(the user running the broker must own it: chown it to that user; keys stay mode 0600)',
    ]);
  });

  it('refuses a data folder it may not create, in one line without a nested error', async () => {
    const certs = certsCopy('own-certs');
    const closed = join(dir.path, 'closed');
    mkdirSync(closed, { mode: 0o755 });
    chmodSync(dir.path, 0o755);
    chmodSync(certs, 0o755);
    if (asRoot) {
      for (const file of ['', 'ca.crt', 'server.crt', 'server.key', 'crl.pem']) {
        chownSync(join(certs, file), 65534, 65534);
      }
    } else {
      chmodSync(closed, 0o555);
    }

    const args = ['--certs', certs, '--data', join(closed, 'data'), '--port', '0'];
    const result = await runBroker(args, otherUser);

    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      `piminder: cannot open the data folder ${join(closed, 'data')}: permission denied ` +
        '(create it and let the user running the broker own it, or pass --data)',
    ]);
  });

  it('refuses a data folder that is a file, with the reason', async () => {
    const file = join(dir.path, 'data-is-a-file');
    writeFileSync(file, 'not a folder');

    await expect(startTestBroker({ certsDir: pki.dir, dataDir: file })).rejects.toMatchObject({
      code: 'PIMINDER_ERR_BROKER_DATA_UNAVAILABLE',
      message: expect.stringMatching(/^cannot open the data folder .*data-is-a-file: EEXIST/),
      hint: 'pass --data with a folder it can use',
    });
  });

  it('refuses a data folder another broker holds', async () => {
    const data = join(dir.path, 'data-locked');
    const first = await startTestBroker({ certsDir: pki.dir, dataDir: data });
    try {
      await expect(startTestBroker({ certsDir: pki.dir, dataDir: data })).rejects.toMatchObject({
        code: 'PIMINDER_ERR_BROKER_DATA_UNAVAILABLE',
        message: expect.stringContaining('in use by another process'),
      });
    } finally {
      await first.close();
    }
  });

  it('refuses a port in use', async () => {
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;

    const result = await runBroker(['--certs', pki.dir, '--data', data(), '--port', String(port)]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
  });
});
