import { writeFileSync } from 'node:fs';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PiminderError } from '../../lib/errors.js';
import { resolveConnection, type ConnectionFlags } from '../../tools/client/connection-settings.js';
import { ClientError } from '../../tools/client/errors.js';
import { publishRequest, type PublishRequest } from '../../tools/client/publish-report.js';
import { issueClientCertificate } from '../../tools/certs/pki.js';
import { certPaths, loadCa } from '../../tools/certs/store.js';
import { quietLogger } from '../helpers/broker.js';
import { createTestPki } from '../helpers/pki.js';
import { ofService, startCliFixture, type CliFixture } from './cli-fixture.js';

/**
 * The publish flow in this process against the real broker: the TLS and refusal cases whose
 * explanation is the point. publish-command.test.ts covers the same code as child processes.
 */
let fixture: CliFixture;

beforeAll(async () => {
  fixture = await startCliFixture('cli-failures');
});

afterAll(async () => {
  await fixture?.close();
});

const REPORT: PublishRequest = {
  kind: 'report',
  report: { severity: 'major', message: 'x' },
  check: 'failures',
};

function settingsFor(flags: ConnectionFlags, env: Record<string, string> = {}) {
  return resolveConnection(flags, { env: { ...fixture.env, ...env } });
}

async function failureOf(flags: ConnectionFlags, env?: Record<string, string>) {
  try {
    await publishRequest(settingsFor(flags, env), REPORT, quietLogger());
  } catch (error) {
    expect(error).toBeInstanceOf(ClientError);
    return error as PiminderError;
  }
  throw new Error('the publish succeeded');
}

describe('publishing', () => {
  it('resolves with the topic after the PUBACK, using explicit certificate files', async () => {
    const paths = certPaths(fixture.pki.dir);
    const flags = {
      cert: paths.clientCert('backup'),
      key: paths.clientKey('backup'),
      ca: paths.caCert,
    };

    const result = await publishRequest(settingsFor(flags), REPORT, quietLogger());

    const bytes = Buffer.byteLength(JSON.stringify({ severity: 'major', message: 'x' }));
    expect(result).toEqual({ topic: 'piminder/status/backup/failures', bytes });
    const [stored] = ofService(await fixture.statuses(), 'backup');
    expect(stored).toMatchObject({ check: 'failures', severity: 'major', message: 'x' });
  });

  it('names a refusal of a topic outside the broker prefix, and stores nothing', async () => {
    const before = ofService(await fixture.statuses(), 'backup');

    const error = await failureOf({ identity: 'backup', topicPrefix: 'elsewhere' });

    expect(error.code).toBe('PIMINDER_ERR_CLIENT_PUBLISH_REFUSED');
    expect(error.message).toMatch(
      /^the broker refused the report on elsewhere\/status\/backup\/failures \(it closed/,
    );
    expect(ofService(await fixture.statuses(), 'backup')).toEqual(before);
  });

  it('names an expired client certificate', async () => {
    const ca = await loadCa(fixture.pki.dir);
    const longAgo = new Date(Date.now() - 30 * 86_400_000);
    const options = { name: 'late', role: 'service' as const, days: 1, now: longAgo };
    const issued = await issueClientCertificate(ca, options);
    const cert = join(fixture.root, 'late.crt');
    const key = join(fixture.root, 'late.key');
    writeFileSync(cert, issued.certPem);
    writeFileSync(key, issued.keyPem, { mode: 0o600 });

    const error = await failureOf({ cert, key });
    // Certificates keep whole seconds.
    const expiredAt = new Date(Math.floor(issued.notAfter.getTime() / 1000) * 1000);

    expect(error.code).toBe('PIMINDER_ERR_CLIENT_TLS_CLIENT_REFUSED');
    expect(error.message).toBe(
      `TLS failure: expired: the broker closed the connection after the TLS handshake and so ` +
        `refused the client certificate ${cert}: it expired on ${expiredAt.toISOString()}`,
    );
  });

  it.each([
    ['the CA certificate', 'caCert', 'caKey', 'it is a CA certificate, not a client certificate'],
    [
      'the server certificate',
      'serverCert',
      'serverKey',
      'it is not made for client authentication (a server certificate?)',
    ],
  ] as const)('names %s used as a client certificate', async (_, cert, key, detail) => {
    const paths = certPaths(fixture.pki.dir);

    const error = await failureOf({ cert: paths[cert], key: paths[key], ca: paths.caCert });

    expect(error.code).toBe('PIMINDER_ERR_CLIENT_TLS_CLIENT_REFUSED');
    expect(error.message).toBe(
      'TLS failure: wrong purpose: the broker closed the connection after the TLS handshake ' +
        `and so refused the client certificate ${paths[cert]}: ${detail}`,
    );
    expect(error.hint).toBe(
      'pass a client certificate: --identity <name> uses <certs>/clients/<name>.crt',
    );
  });

  it('names a broker certificate that the given CA did not sign', async () => {
    const other = await createTestPki(join(fixture.root, 'other-ca'), []);

    const error = await failureOf({ identity: 'backup', ca: certPaths(other.dir).caCert });

    expect(error.code).toBe('PIMINDER_ERR_CLIENT_TLS_SERVER');
    expect(error.message).toBe(
      `TLS failure: unknown CA: the broker's certificate is not signed by the CA in ` +
        certPaths(other.dir).caCert,
    );
  });

  it('names a hostname mismatch', async () => {
    const error = await failureOf({ identity: 'backup', servername: 'elsewhere.example' });

    expect(error.code).toBe('PIMINDER_ERR_CLIENT_TLS_SERVER');
    expect(error.message).toBe(
      'TLS failure: hostname mismatch: ' +
        `the broker's certificate is not issued for "elsewhere.example"`,
    );
  });

  it('gives up at the deadline when the port never answers the TLS handshake', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket.on('error', () => undefined)));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };

    try {
      const error = await failureOf(
        { identity: 'backup', timeout: '0.5' },
        {
          PIMINDER_URL: `mqtts://127.0.0.1:${port}`,
        },
      );

      expect(error.code).toBe('PIMINDER_ERR_CLIENT_TIMEOUT');
      expect(error.message).toBe(
        `timeout: no answer from 127.0.0.1:${port} within 0.5 s (waiting for the TLS handshake)`,
      );
    } finally {
      const closed = new Promise<void>((resolve) => silent.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    }
  });

  /** Serves on a free loopback port while `run` runs, then closes every connection. */
  async function serving(server: NetServer, run: (port: number) => Promise<void>) {
    const sockets = new Set<Socket>();
    server.on('connection', (socket: Socket) => sockets.add(socket.on('error', () => undefined)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await run((server.address() as { port: number }).port);
    } finally {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    }
  }

  /** A TLS server with the broker's own certificate that answers a CONNECT with `reply`. */
  const withTlsServer = (
    reply: (socket: TLSSocket) => void,
    run: (port: number) => Promise<void>,
  ) =>
    serving(
      createTlsServer({ cert: fixture.pki.serverCert, key: fixture.pki.serverKey }, (socket) =>
        socket.on('error', () => undefined).once('data', () => reply(socket)),
      ),
      run,
    );

  it.each([
    ['an HTTPS server', (s: TLSSocket) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n')],
    ['a server that sends bytes of its own', (s: TLSSocket) => s.end(Buffer.from([0x90, 0x00]))],
    ['a server that sends a byte and waits', (s: TLSSocket) => s.write(Buffer.from([0x00]))],
  ])('names %s as not an MQTT broker, not as a refused certificate', async (_, reply) => {
    await withTlsServer(reply, async (port) => {
      const error = await failureOf(
        { identity: 'backup', timeout: '1' },
        { PIMINDER_URL: `mqtts://127.0.0.1:${port}` },
      );

      expect(error.code).toBe('PIMINDER_ERR_CLIENT_NOT_MQTT');
      expect(error.message).toBe(
        `127.0.0.1:${port} is not an MQTT broker: it answered the CONNECT with something ` +
          "other than a CONNACK; is it an HTTPS port, such as the bridge's?",
      );
    });
  });

  /** A plain TCP server that answers the first bytes it gets with `reply`. */
  const withPlainServer = (reply: (socket: Socket) => void, run: (port: number) => Promise<void>) =>
    serving(
      createServer((socket) => socket.once('data', () => reply(socket))),
      run,
    );

  const failureAt = (port: number) =>
    failureOf({ identity: 'backup', timeout: '2' }, { PIMINDER_URL: `mqtts://127.0.0.1:${port}` });

  it.each([
    ['an HTTP server', (socket: Socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n')],
    [
      'a server that greets in plain text',
      (socket: Socket) => socket.end('SSH-2.0-OpenSSH_9.2\r\n'),
    ],
  ])('names %s as a port that does not speak TLS, in one line', async (_, reply) => {
    await withPlainServer(reply, async (port) => {
      const error = await failureAt(port);

      expect(error.code).toBe('PIMINDER_ERR_CLIENT_NOT_TLS');
      expect(error.toLine()).toBe(
        `127.0.0.1:${port} does not speak TLS: it answered the handshake in plain text ` +
          "(point --url or PIMINDER_URL at the broker's TLS port, 8883 by default)",
      );
    });
  });

  it('puts what a port that closes during the handshake did on one line', async () => {
    await withPlainServer(
      (socket) => socket.destroy(),
      async (port) => {
        const error = await failureAt(port);

        expect(error.code).toBe('PIMINDER_ERR_CLIENT_CONNECTION_LOST');
        const line = error.toLine();
        const start = `the broker at 127.0.0.1:${port} closed the connection during the TLS handshake`;
        expect(line.startsWith(start)).toBe(true);
        expect(line).not.toContain('\n');
      },
    );
  });
});
