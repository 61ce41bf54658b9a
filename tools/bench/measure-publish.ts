import { performance } from 'node:perf_hooks';
import type { MqttClient } from 'mqtt';
import { BenchError } from './errors.js';
import { dropReason, publishRetained } from './mqtt-harness.js';
import { percentile, perSecond } from './stats.js';

/** One publishing client and the status topics it owns. */
export interface Publisher {
  client: MqttClient;
  topics: readonly string[];
  /** Publishes of this client, instead of the load's `perClient`. */
  limit?: number;
}

export interface PublishLoad {
  publishers: readonly Publisher[];
  payloads: readonly Buffer[];
  /** QoS 1 publishes each client keeps awaiting their PUBACK. */
  window: number;
  /** Publishes per client; each client cycles through its topics. */
  perClient: number;
  /** No new publish starts after this many ms (those in flight still count). */
  durationMs: number;
}

export interface PublishFigures {
  sent: number;
  /** Publishes whose callback reported the PUBACK. */
  acked: number;
  /** PUBACK packets seen on the wire by the clients during the measurement. */
  pubacks: number;
  elapsedMs: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

interface Tally {
  sent: number;
  acked: number;
  latenciesMs: number[];
}

/**
 * Keeps `window` publishes of one client in flight until it has sent `perClient` or the
 * time is up, then waits for the PUBACKs still due.
 */
function pump(publisher: Publisher, load: PublishLoad, endAt: number, tally: Tally) {
  return new Promise<void>((resolve, reject) => {
    let next = 0;
    let inFlight = 0;
    let failed = false;
    const limit = publisher.limit ?? load.perClient;
    const more = () => next < limit && performance.now() < endAt;

    const sendOne = () => {
      const topic = publisher.topics[next % publisher.topics.length] ?? '';
      const payload = load.payloads[tally.sent % load.payloads.length] ?? Buffer.alloc(0);
      next += 1;
      inFlight += 1;
      tally.sent += 1;
      const startedAt = performance.now();
      publishRetained(publisher.client, topic, payload).then(() => {
        tally.latenciesMs.push(performance.now() - startedAt);
        tally.acked += 1;
        inFlight -= 1;
        fill();
      }, fail);
    };
    const fill = () => {
      if (failed) return;
      while (inFlight < load.window && more()) sendOne();
      if (inFlight === 0 && !more()) {
        publisher.client.off('close', onClose);
        resolve();
      }
    };
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      publisher.client.off('close', onClose);
      reject(error);
    };
    const onClose = () => {
      const reason = dropReason(publisher.client);
      fail(new BenchError('PUBLISH', `connection lost during the measurement: ${reason}`));
    };
    publisher.client.once('close', onClose);
    fill();
  });
}

/**
 * QoS 1 retained status publishes from every client at once; each latency runs from the
 * publish call to its PUBACK, so under a full window it includes the wait in the queue.
 */
export async function measurePublishes(load: PublishLoad): Promise<PublishFigures> {
  if (load.publishers.some((publisher) => publisher.topics.length === 0)) {
    throw new BenchError('BAD_OPTION', 'every publisher needs at least one topic');
  }
  const tally: Tally = { sent: 0, acked: 0, latenciesMs: [] };
  let pubacks = 0;
  const countPuback = (packet: { cmd: string }) => {
    if (packet.cmd === 'puback') pubacks += 1;
  };
  for (const { client } of load.publishers) client.on('packetreceive', countPuback);
  const startedAt = performance.now();
  const endAt = startedAt + load.durationMs;

  try {
    await Promise.all(load.publishers.map((publisher) => pump(publisher, load, endAt, tally)));
  } finally {
    for (const { client } of load.publishers) client.off('packetreceive', countPuback);
  }

  const elapsedMs = performance.now() - startedAt;
  if (pubacks !== tally.acked) {
    const message = `${tally.acked} publishes acknowledged but ${pubacks} PUBACKs on the wire`;
    throw new BenchError('COUNT_MISMATCH', message);
  }
  return {
    sent: tally.sent,
    acked: tally.acked,
    pubacks,
    elapsedMs,
    perSecond: perSecond(tally.acked, elapsedMs),
    p50Ms: percentile(tally.latenciesMs, 0.5),
    p99Ms: percentile(tally.latenciesMs, 0.99),
  };
}
