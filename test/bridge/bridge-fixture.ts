import { cpSync, readFileSync } from 'node:fs';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll } from 'vitest';
import { startBridge, bridgeConfig, type BridgeConfig } from '../../bridge/index.js';
import { UserStore, usersFile, type UserRole } from '../../bridge/users/user-store.js';
import { createLogger, type Logger } from '../../lib/logger.js';
import type { Role } from '../../lib/roles.js';
import { certPaths, issueClient } from '../../tools/certs/store.js';
import { startTestBroker, type RunningBroker } from '../helpers/broker.js';
import { createTestPki, type TestPki } from '../helpers/pki.js';
import { tempDir } from '../helpers/temp-dir.js';

export const PASSWORD = 'correct horse battery';

/** Identities every fixture has: certificates (CN, OU) and HTTP users of the same names. */
export const CERTIFICATES: Array<[string, 'service' | 'monitor' | 'admin' | 'bridge']> = [
  ['bridge', 'bridge'],
  ['backup', 'service'],
  ['panel', 'monitor'],
  ['root', 'admin'],
];

export const USERS: Array<[string, UserRole]> = [
  ['cron', 'service'],
  ['viewer', 'monitor'],
  ['boss', 'admin'],
];

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export interface CallOptions {
  /** A user name from USERS (password PASSWORD) or `[name, password]`. */
  user?: string | [string, string];
  /** A certificate name from CERTIFICATES. */
  cert?: string;
  body?: unknown;
  /** Sent as is, with the given content type (default none). */
  raw?: string | Buffer;
  headers?: Record<string, string>;
}

export interface Fixture {
  pki: TestPki;
  dataDir: string;
  broker: RunningBroker | undefined;
  bridgePort: number;
  call: (method: string, path: string, options?: CallOptions) => Promise<Answer>;
  restartBridge: (overrides?: BridgeOverrides) => Promise<void>;
  stopBridge: () => Promise<void>;
  close: () => Promise<void>;
}

export type BridgeOverrides = Partial<Omit<BridgeConfig, 'limits'>> & {
  limits?: Partial<BridgeConfig['limits']>;
};

export function silentLogger(): Logger {
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  return createLogger({ name: 'test', level: 'silent', destination: sink });
}

/** The TestPki view of a PKI folder that exists already (a copy of the template). */
function loadTestPki(dir: string): TestPki {
  const paths = certPaths(dir);
  const client = (name: string) => ({
    cert: readFileSync(paths.clientCert(name)),
    key: readFileSync(paths.clientKey(name)),
  });
  return {
    dir,
    ca: readFileSync(paths.caCert),
    serverCert: readFileSync(paths.serverCert),
    serverKey: readFileSync(paths.serverKey),
    client,
    issue: async (name: string, role: Role) => {
      await issueClient(dir, name, role);
      return client(name);
    },
  };
}

let template: Promise<{ path: string; remove: () => void }> | undefined;

/**
 * Keys and password hashes are slow to make on a busy machine: each test file makes its PKI
 * and users once, and every fixture starts from a copy of them.
 */
function fixtureTemplate() {
  template ??= (async () => {
    const dir = tempDir('bridge-template');
    await createTestPki(join(dir.path, 'certs'), CERTIFICATES);
    const store = new UserStore(usersFile(join(dir.path, 'bridge-data')));
    for (const [name, role] of USERS) await store.put({ name, role, password: PASSWORD });
    return dir;
  })();
  return template;
}

afterAll(async () => {
  if (template !== undefined) (await template).remove();
  template = undefined;
});

/** A PKI, optionally a real broker, and a bridge on a free port with test users. */
export async function startFixture(
  options: { broker?: boolean; bridge?: BridgeOverrides; logger?: Logger } = {},
): Promise<Fixture> {
  const dir = tempDir('bridge');
  cpSync((await fixtureTemplate()).path, dir.path, { recursive: true });
  const certsDir = join(dir.path, 'certs');
  const dataDir = join(dir.path, 'bridge-data');
  const pki = loadTestPki(certsDir);

  const broker =
    options.broker === false
      ? undefined
      : await startTestBroker({ certsDir, dataDir: join(dir.path, 'broker-data') });
  // Without a broker the bridge points at a closed port: it serves, reconnecting in the
  // background, and /healthz says so.
  const brokerUrl = `mqtts://127.0.0.1:${broker?.port ?? 1}`;

  let running: Awaited<ReturnType<typeof startBridge>> | undefined;
  const start = async (overrides: BridgeOverrides = {}) => {
    const config = bridgeConfig({
      certs: certsDir,
      data: dataDir,
      host: '127.0.0.1',
      port: 0,
      broker: brokerUrl,
      ...options.bridge,
      ...overrides,
      limits: { ...options.bridge?.limits, ...overrides.limits },
    });
    running = await startBridge(config, { logger: options.logger ?? silentLogger() });
    fixture.bridgePort = running.port;
  };

  const fixture: Fixture = {
    pki,
    dataDir,
    broker,
    bridgePort: 0,
    call: (method, path, callOptions = {}) => call(fixture, method, path, callOptions),
    restartBridge: async (overrides) => {
      await running?.close();
      await start(overrides);
    },
    stopBridge: async () => {
      await running?.close();
    },
    close: async () => {
      await running?.close();
      await broker?.close();
      dir.remove();
    },
  };
  await start();
  return fixture;
}

/** One HTTPS request to the bridge, trusting the test CA. */
export function call(
  fixture: Pick<Fixture, 'pki' | 'bridgePort'>,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  let payload: string | Buffer | undefined = options.raw;
  if (options.body !== undefined) {
    payload = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  if (options.user !== undefined) {
    const [name, password] =
      typeof options.user === 'string' ? [options.user, PASSWORD] : options.user;
    headers.authorization = `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`;
  }

  if (payload !== undefined) headers['content-length'] ??= String(Buffer.byteLength(payload));

  const tls: RequestOptions = { ca: fixture.pki.ca };
  if (options.cert !== undefined) Object.assign(tls, fixture.pki.client(options.cert));

  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      { host: '127.0.0.1', port: fixture.bridgePort, method, path, headers, agent: false, ...tls },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json });
        });
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until the bridge is connected and subscribed to the broker. */
export async function brokerReady(fixture: Fixture): Promise<void> {
  await eventually(async () => {
    const answer = await fixture.call('GET', '/healthz');
    return answer.status === 200 ? true : undefined;
  }, 'the bridge to reach the broker');
}
