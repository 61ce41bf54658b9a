import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { certPaths, initCa, issueClient, revoke } from '../../tools/certs/store.js';
import { tempDir } from '../helpers/temp-dir.js';
import { KEYGEN_TIMEOUT } from './support.js';

const ours = tempDir('certs-tls');
const foreign = tempDir('certs-tls-foreign');
const paths = certPaths(ours.path);
const foreignPaths = certPaths(foreign.path);

const read = (path: string) => readFileSync(path);

beforeAll(async () => {
  // 127.0.0.5 stands in for a LAN address: Linux routes all of 127.0.0.0/8 to loopback.
  await initCa(ours.path, { sans: ['127.0.0.5', '192.168.1.50', 'mqtt.example.org'] });
  await issueClient(ours.path, 'sensor', 'service');
  await issueClient(ours.path, 'stolen', 'service');
  await revoke(ours.path, 'stolen');
  await initCa(foreign.path, { cn: 'Piminder CA' });
  await issueClient(foreign.path, 'sensor', 'service');
}, KEYGEN_TIMEOUT);

afterAll(() => {
  ours.remove();
  foreign.remove();
});

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

interface Credentials {
  cert: Buffer;
  key: Buffer;
}

const server = () => ({ cert: read(paths.serverCert), key: read(paths.serverKey) });
const client = (name: string, folder = paths) => ({
  cert: read(folder.clientCert(name)),
  key: read(folder.clientKey(name)),
});

interface ServerOptions {
  host?: string;
  withCrl?: boolean;
  /**
   * false makes a probe: it completes the handshake whatever the client sent and records
   * why OpenSSL would have refused it (socket.authorizationError), since a refusing server
   * only sees the connection drop.
   */
  rejectUnauthorized?: boolean;
}

interface Outcome {
  authorized: boolean;
  cn?: string;
  error?: string;
}

/** A mutual-TLS server that records each handshake's outcome from its own side. */
async function startServer(own: Credentials, options: ServerOptions = {}) {
  const outcomes: Outcome[] = [];
  const listener = tls.createServer(
    {
      ...own,
      ca: read(paths.caCert),
      requestCert: true,
      rejectUnauthorized: options.rejectUnauthorized ?? true,
      ...(options.withCrl ? { crl: read(paths.crl) } : {}),
    },
    (socket) => {
      const peer = socket.getPeerCertificate();
      const reason = socket.authorizationError;
      outcomes.push({
        authorized: socket.authorized,
        cn: String(peer.subject.CN),
        ...(reason == null ? {} : { error: String(reason) }),
      });
      socket.end('hello');
    },
  );
  listener.on('tlsClientError', (error: NodeJS.ErrnoException) => {
    outcomes.push({ authorized: false, error: error.code ?? error.message });
  });
  await new Promise<void>((resolve) => listener.listen(0, options.host ?? '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => listener.close(() => resolve())));
  return { port: (listener.address() as AddressInfo).port, outcomes };
}

/** The strict server refuses the client; the probe says why. */
async function expectRefused(own: Credentials, reason: string, withCrl = false) {
  const strict = await startServer(server(), { withCrl });
  expect((await dial(strict.port, own, '127.0.0.1', 'localhost')).ok).toBe(false);
  const seen = await waitFor(() => strict.outcomes[0], 'the server to drop the client');
  expect(seen.authorized).toBe(false);
  expect(strict.outcomes.some((outcome) => outcome.authorized)).toBe(false);

  const probe = await startServer(server(), { withCrl, rejectUnauthorized: false });
  await dial(probe.port, own, '127.0.0.1', 'localhost');
  const judged = await waitFor(() => probe.outcomes[0], 'the probe to judge the client');
  expect(judged).toMatchObject({ authorized: false, error: reason });
}

type Dialled = { ok: true; reply: string } | { ok: false; code: string; message: string };

/**
 * Connects as a Node client that verifies the server and reads the greeting. Under TLS 1.3
 * the client finishes its half before the server has judged the client certificate, so
 * only the greeting proves the server accepted it.
 */
function dial(port: number, own: Credentials, host = '127.0.0.1', servername?: string) {
  return new Promise<Dialled>((resolve) => {
    const socket = tls.connect({
      host,
      port,
      ...own,
      ca: read(paths.caCert),
      ...(servername === undefined ? {} : { servername }),
    });
    let reply = '';
    let failure: NodeJS.ErrnoException | undefined;
    socket.on('data', (chunk: Buffer) => (reply += chunk.toString()));
    socket.on('error', (error: NodeJS.ErrnoException) => (failure = error));
    socket.on('close', () => {
      if (reply === 'hello' && failure === undefined) resolve({ ok: true, reply });
      else resolve({ ok: false, code: failure?.code ?? '', message: failure?.message ?? '' });
    });
  });
}

async function waitFor<T>(read: () => T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('mutual TLS on loopback sockets', { timeout: KEYGEN_TIMEOUT }, () => {
  it('accepts a client certificate the CA issued, and the client verifies the server', async () => {
    const { port, outcomes } = await startServer(server());
    const result = await dial(port, client('sensor'), '127.0.0.1', 'localhost');
    expect(result).toEqual({ ok: true, reply: 'hello' });
    expect(outcomes).toEqual([{ authorized: true, cn: 'sensor' }]);
  });

  it('rejects a client certificate from a second, unrelated CA with the same names', async () => {
    await expectRefused(client('sensor', foreignPaths), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('rejects a revoked client once the server reads crl.pem', async () => {
    await expectRefused(client('stolen'), 'CERT_REVOKED', true);
    const { port } = await startServer(server(), { withCrl: true });
    expect((await dial(port, client('sensor'), '127.0.0.1', 'localhost')).ok).toBe(true);
  });

  it('refuses a client certificate used as a server certificate', async () => {
    const { port } = await startServer(client('sensor'));
    const result = await dial(port, client('sensor'), '127.0.0.1', 'sensor');
    expect(result).toMatchObject({ ok: false, code: 'INVALID_PURPOSE' });
  });

  it('refuses the server certificate used as a client certificate', async () => {
    await expectRefused(server(), 'INVALID_PURPOSE');
  });
});

describe('an iPAddress SAN', { timeout: KEYGEN_TIMEOUT }, () => {
  it('verifies a Node client dialling 127.0.0.5 and fails one dialling 127.0.0.6', async () => {
    const five = await startServer(server(), { host: '127.0.0.5' });
    const six = await startServer(server(), { host: '127.0.0.6' });

    const right = await dial(five.port, client('sensor'), '127.0.0.5');
    expect(right).toEqual({ ok: true, reply: 'hello' });
    const wrong = await dial(six.port, client('sensor'), '127.0.0.6');
    expect(wrong).toMatchObject({ ok: false, code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    const message = wrong.ok ? '' : wrong.message;
    expect(message).toContain("IP: 127.0.0.6 is not in the cert's list");
  });

  it('verifies an mqtt.js client connecting to 127.0.0.5 and fails one to 127.0.0.6', async () => {
    const broker = await Aedes.createBroker();
    closers.push(() => new Promise((resolve) => broker.close(() => resolve())));
    const listen = async (host: string) => {
      const listener = tls.createServer(
        { ...server(), ca: read(paths.caCert), requestCert: true, rejectUnauthorized: true },
        (socket) => broker.handle(socket),
      );
      await new Promise<void>((resolve) => listener.listen(0, host, resolve));
      closers.push(() => new Promise((resolve) => listener.close(() => resolve())));
      return (listener.address() as AddressInfo).port;
    };
    const connect = (host: string, port: number) =>
      new Promise<string>((resolve) => {
        const connection = mqtt.connect(`mqtts://${host}:${port}`, {
          ...client('sensor'),
          ca: read(paths.caCert),
          clientId: 'sensor',
          reconnectPeriod: 0,
          connectTimeout: 20_000,
        });
        connection.on('connect', () => connection.end(true, () => resolve('connected')));
        connection.on('error', (error: Error & { code?: string | number }) => {
          connection.end(true, () => resolve(String(error.code ?? error.message)));
        });
      });

    expect(await connect('127.0.0.5', await listen('127.0.0.5'))).toBe('connected');
    expect(await connect('127.0.0.6', await listen('127.0.0.6'))).toBe(
      'ERR_TLS_CERT_ALTNAME_INVALID',
    );
  });

  it('encodes 192.168.1.50 as an address that tls.checkServerIdentity accepts', () => {
    const peer = new X509Certificate(read(paths.serverCert)).toLegacyObject();
    expect(peer.subjectaltname).toContain('IP Address:192.168.1.50');
    expect(tls.checkServerIdentity('192.168.1.50', peer)).toBeUndefined();
    expect(tls.checkServerIdentity('mqtt.example.org', peer)).toBeUndefined();
    expect(tls.checkServerIdentity('192.168.1.51', peer)).toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
    expect(tls.checkServerIdentity('other.example.org', peer)).toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
  });
});
