import { performance } from 'node:perf_hooks';
import type { ClientTls } from './bench-pki.js';
import { closeClient, connectClient, type Endpoint } from './mqtt-harness.js';
import { percentile, perSecond } from './stats.js';

export interface ConnectFigures {
  connects: number;
  concurrency: number;
  elapsedMs: number;
  /** Full cycles per second: TLS handshake, CONNECT/CONNACK, DISCONNECT and close. */
  perSecond: number;
  /** Start of the TCP connect to the CONNACK. */
  p50Ms: number;
  p99Ms: number;
}

/**
 * `count` fresh mutual-TLS connections (no session resumption), `concurrency` at a time; each
 * waits for its CONNACK, then disconnects politely, as a cron job's report would.
 */
export async function measureConnects(
  endpoint: Endpoint,
  tls: ClientTls,
  count: number,
  concurrency: number,
): Promise<ConnectFigures> {
  const latenciesMs: number[] = [];
  let started = 0;
  const worker = async () => {
    while (started < count) {
      started += 1;
      const begin = performance.now();
      const client = await connectClient(endpoint, tls, 'bench-connect');
      latenciesMs.push(performance.now() - begin);
      await closeClient(client);
    }
  };

  const startedAt = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const elapsedMs = performance.now() - startedAt;
  return {
    connects: latenciesMs.length,
    concurrency,
    elapsedMs,
    perSecond: perSecond(latenciesMs.length, elapsedMs),
    p50Ms: percentile(latenciesMs, 0.5),
    p99Ms: percentile(latenciesMs, 0.99),
  };
}
