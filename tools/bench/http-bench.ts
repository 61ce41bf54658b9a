import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import mqtt from 'mqtt';
import { startBridge, bridgeConfig } from '../../bridge/index.js';
import { UserStore, usersFile } from '../../bridge/users/user-store.js';
import { brokerConfigSchema, startBroker } from '../../broker/index.js';
import { createLogger, type Logger } from '../../lib/logger.js';
import { certPaths, initCa, issueClient } from '../certs/store.js';

/**
 * The HTTP load benchmark: the bridge's JSON API and legacy API under many concurrent
 * clients (autocannon), side by side with the same reports published straight over MQTT,
 * all against a real broker with durable storage on this machine.
 */
export interface HttpBenchOptions {
  /** Seconds each of the three runs lasts (default 10). */
  durationSeconds?: number;
  /** Concurrent HTTP connections and MQTT clients (default 50). */
  connections?: number;
  /** Progress lines; defaults to none. */
  progress?: (line: string) => void;
}

export interface RunFigures {
  requests: number;
  /** Mean answered requests per second over the run. */
  perSecond: number;
  /** Latency percentiles in milliseconds. */
  p50Ms: number;
  p99Ms: number;
  /** Connection errors, timeouts and answers other than 2xx. */
  failures: number;
}

export interface HttpBenchFigures {
  connections: number;
  durationSeconds: number;
  jsonApi: RunFigures;
  legacyApi: RunFigures;
  mqttDirect: RunFigures;
}

interface AutocannonResult {
  requests: { total: number; average: number };
  latency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  duration: number;
}

type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;

// autocannon ships CommonJS without types; this is the one call made of it.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const PASSWORD = 'bench-password';

let nextRequest = 0;

function quietLogger(): Logger {
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  return createLogger({ name: 'bench', level: 'silent', destination: sink });
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1);
  return sorted[Math.max(0, index)] as number;
}

function fromAutocannon(result: AutocannonResult): RunFigures {
  return {
    requests: result.requests.total,
    perSecond: Math.round(result.requests.total / result.duration),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    failures: result.errors + result.timeouts + result.non2xx,
  };
}

async function httpRun(
  url: string,
  ca: Buffer,
  options: { connections: number; duration: number; path: string; body: unknown },
): Promise<RunFigures> {
  const result = await autocannon({
    url,
    method: 'POST',
    connections: options.connections,
    duration: options.duration,
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`bench:${PASSWORD}`).toString('base64')}`,
    },
    body: JSON.stringify(options.body),
    // Requests spread over as many topics as there are connections, as the MQTT clients below
    // each have one: `{n}` in the path takes turns through them.
    requests: [
      {
        path: options.path,
        setupRequest: (raw: { path: string }) => {
          const n = nextRequest++ % options.connections;
          return { ...raw, path: raw.path.replace('{n}', String(n)) };
        },
      },
    ],
    tlsOptions: { ca, servername: 'localhost' },
  });
  return fromAutocannon(result);
}

/** `connections` MQTT clients, each publishing QoS 1 retained reports back to back. */
async function mqttRun(
  brokerUrl: string,
  tls: { ca: Buffer; cert: Buffer; key: Buffer },
  options: { connections: number; duration: number },
): Promise<RunFigures> {
  const clients = await Promise.all(
    Array.from({ length: options.connections }, (_, index) =>
      mqtt.connectAsync(brokerUrl, {
        ...tls,
        clientId: `bench:mqtt-${index}`,
        protocolVersion: 4,
        reconnectPeriod: 0,
      }),
    ),
  );
  const latencies: number[] = [];
  let failures = 0;
  const started = Date.now();
  const until = started + options.duration * 1000;
  const payload = JSON.stringify({ severity: 'info', message: 'bench over mqtt' });

  await Promise.all(
    clients.map(async (client, index) => {
      while (Date.now() < until) {
        const sent = performance.now();
        try {
          await client.publishAsync(`piminder/status/bench/mqtt-${index}`, payload, {
            qos: 1,
            retain: true,
          });
          latencies.push(performance.now() - sent);
        } catch {
          failures += 1;
        }
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  await Promise.all(clients.map((client) => client.endAsync()));

  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    perSecond: Math.round(latencies.length / seconds),
    p50Ms: Math.round(percentile(latencies, 0.5)),
    p99Ms: Math.round(percentile(latencies, 0.99)),
    failures,
  };
}

export async function runHttpBench(options: HttpBenchOptions = {}): Promise<HttpBenchFigures> {
  const duration = options.durationSeconds ?? 10;
  const connections = options.connections ?? 50;
  const progress = options.progress ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'piminder-http-bench-'));
  const certs = join(dir, 'certs');
  const logger = quietLogger();

  try {
    progress('creating a CA, the broker and the bridge');
    await initCa(certs);
    await issueClient(certs, 'bridge', 'bridge');
    await issueClient(certs, 'bench', 'service');
    await new UserStore(usersFile(join(dir, 'bridge'))).put({
      name: 'bench',
      role: 'service',
      password: PASSWORD,
    });

    const broker = await startBroker(
      brokerConfigSchema.parse({ certs, data: join(dir, 'broker'), port: 0 }),
      { logger },
    );
    const brokerUrl = `mqtts://127.0.0.1:${broker.port}`;
    const bridge = await startBridge(
      bridgeConfig({ certs, data: join(dir, 'bridge'), port: 0, broker: brokerUrl }),
      { logger },
    );
    try {
      const paths = certPaths(certs);
      const tls = {
        ca: await readFile(paths.caCert),
        cert: await readFile(paths.clientCert('bench')),
        key: await readFile(paths.clientKey('bench')),
      };
      const url = `https://127.0.0.1:${bridge.port}`;
      await waitForHealth(url, tls.ca);

      progress(`JSON API: ${connections} connections for ${duration} s`);
      const jsonApi = await httpRun(url, tls.ca, {
        connections,
        duration,
        path: '/api/v1/status/bench/http-{n}',
        body: { severity: 'info', message: 'bench over http' },
      });
      progress(`legacy API: ${connections} connections for ${duration} s`);
      const legacyApi = await httpRun(url, tls.ca, {
        connections,
        duration,
        path: '/api/messages/',
        body: {
          name: 'bench',
          message: 'legacy',
          errorlevel: 'info',
          timestamp: '2026-12-03T12:00:00Z',
        },
      });
      progress(`direct MQTT: ${connections} clients for ${duration} s`);
      const mqttDirect = await mqttRun(brokerUrl, tls, {
        connections,
        duration,
      });
      return { connections, durationSeconds: duration, jsonApi, legacyApi, mqttDirect };
    } finally {
      await bridge.close();
      await broker.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The bridge connects to the broker in the background; measuring starts once it has. */
async function waitForHealth(url: string, ca: Buffer): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const status = await new Promise<number>((resolve) => {
      request(`${url}/healthz`, { ca, servername: 'localhost' }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      })
        .on('error', () => resolve(0))
        .end();
    });
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the bridge did not reach the broker within 30 s');
}

// `tsx tools/bench/http-bench.ts [seconds] [connections]` runs it alone and prints the figures.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await runHttpBench({
    durationSeconds: Number(process.argv[2] ?? 10),
    connections: Number(process.argv[3] ?? 50),
    progress: (line) => console.error(line),
  });
  console.log(JSON.stringify(figures, null, 2));
}
