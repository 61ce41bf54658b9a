import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { parseStatus } from '../../lib/status-payload.js';
import { allStatusFilter, DEFAULT_PREFIX } from '../../lib/topics.js';
import { createBenchPki, serviceName, type BenchPki } from '../../tools/bench/bench-pki.js';
import { checkPlan, DEFAULT_PLAN, type BenchPlan } from '../../tools/bench/bench-plan.js';
import type { BrokerProcess } from '../../tools/bench/broker-process.js';
import { BenchError } from '../../tools/bench/errors.js';
import { measureReplay } from '../../tools/bench/measure-replay.js';
import { readCpuMs, readMemory } from '../../tools/bench/proc-stats.js';
import { closeClient, connectClient } from '../../tools/bench/mqtt-harness.js';
import { measureBroker, type TargetFigures } from '../../tools/bench/run-target.js';
import { topicPlan } from '../../tools/bench/status-load.js';
import { startPiminder } from '../../tools/bench/targets.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Small enough to finish in seconds, large enough that every count means something. */
const TINY: BenchPlan = {
  ...DEFAULT_PLAN,
  targets: ['piminder'],
  statuses: 30,
  serviceClients: 2,
  window: 4,
  // The count, not the clock, ends the throughput run, so its totals are exact.
  throughputMs: 60_000,
  throughputPerClient: 25,
  sequentialConnects: 3,
  parallelConnects: 4,
  connectConcurrency: 2,
  stepTimeoutMs: 30_000,
};

let dir: ReturnType<typeof tempDir>;
let pki: BenchPki;
let broker: BrokerProcess | undefined;
let figures: TargetFigures;
const clients: MqttClient[] = [];
/** A start that must fail, begun beside the real one so the two cold starts overlap. */
let failedStart: Promise<unknown>;

beforeAll(async () => {
  dir = tempDir('bench');
  const missing = join(dir.path, 'no-such-certs');
  failedStart = startPiminder({ certsDir: missing, dataDir: join(dir.path, 'data-missing') }).then(
    async (unexpected) => {
      await unexpected.stop();
      return undefined;
    },
    (error: unknown) => error,
  );
  pki = await createBenchPki(join(dir.path, 'certs'), TINY.serviceClients);
  const dataDir = join(dir.path, 'data');
  mkdirSync(dataDir);
  broker = await startPiminder({ certsDir: pki.dir, dataDir });
  figures = await measureBroker(broker, 'piminder', pki, TINY);
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.splice(0).map(closeClient));
  await broker?.stop();
  // Settles only once that child has exited (or been stopped).
  await failedStart;
  dir?.remove();
});

/** Every retained status a fresh monitor receives, by topic, once the expected ones are in. */
async function retainedStatuses(expected: number): Promise<Map<string, Buffer>> {
  const endpoint = { host: '127.0.0.1', port: broker?.port ?? 0 };
  const monitor = await connectClient(endpoint, pki.monitor, 'check');
  clients.push(monitor);
  const received = new Map<string, Buffer>();
  const ownTopics = new Set(
    topicPlan(
      pki.services.map((tls) => tls.name),
      expected,
    ).flat(),
  );
  await new Promise<void>((resolve) => {
    monitor.on('message', (topic, payload, packet) => {
      if (!packet.retain || !ownTopics.has(topic)) return;
      received.set(topic, payload);
      if (received.size === ownTopics.size) resolve();
    });
    monitor.subscribe(allStatusFilter(DEFAULT_PREFIX), { qos: 1 });
  });
  return received;
}

describe('the broker benchmark harness, at a tiny size against Piminder', () => {
  it('writes each planned status once, with one PUBACK on the wire per publish', () => {
    expect(figures.writeAll.sent).toBe(30);
    expect(figures.writeAll.acked).toBe(30);
    expect(figures.writeAll.pubacks).toBe(30);
  });

  it('counts n PUBACKs for n throughput publishes', () => {
    expect(figures.throughput.sent).toBe(2 * 25);
    expect(figures.throughput.acked).toBe(50);
    expect(figures.throughput.pubacks).toBe(50);
    expect(figures.throughput.p99Ms).toBeGreaterThanOrEqual(figures.throughput.p50Ms);
  });

  it('replays every planned status to each new monitor exactly once', () => {
    expect(figures.replay.distinct).toBe(30);
    expect(figures.replay.received).toBe(30);
    expect(figures.warmReplay.distinct).toBe(30);
    expect(figures.warmReplay.received).toBe(30);
  });

  it('makes the connects it reports, sequential and in parallel', () => {
    expect(figures.sequentialConnects.connects).toBe(3);
    expect(figures.sequentialConnects.concurrency).toBe(1);
    expect(figures.parallelConnects.connects).toBe(4);
    expect(figures.parallelConnects.concurrency).toBe(2);
  });

  it("reads the broker process' memory, not its own", () => {
    const own = readMemory(process.pid);
    expect(broker?.pid).not.toBe(process.pid);
    expect(figures.memory.rssMb).toBeGreaterThan(1);
    expect(figures.memory.peakRssMb).toBeGreaterThanOrEqual(figures.memory.rssMb);
    expect(own.rssMb).toBeGreaterThan(1);
  });

  it('counts the CPU time a process has used, growing as it works', () => {
    const before = readCpuMs(process.pid);
    let after = before;
    // Busy until the kernel has counted at least three 10 ms ticks more; bounded generously.
    const giveUpAt = Date.now() + 20_000;
    while (after < before + 30 && Date.now() < giveUpAt) after = readCpuMs(process.pid);

    expect(after).toBeGreaterThanOrEqual(before + 30);
    expect(figures.cpu.writeAllMs + figures.cpu.throughputMs).toBeGreaterThan(0);
  });

  it('leaves exactly the planned statuses stored, each a valid status of its owner', async () => {
    const stored = await retainedStatuses(30);

    expect(stored.size).toBe(30);
    for (const [topic, payload] of stored) {
      const status = parseStatus(payload);
      expect(topic).toBe(`${DEFAULT_PREFIX}/status/${status.service}/${status.check}`);
      expect([serviceName(0), serviceName(1)]).toContain(status.service);
    }
  });

  it('fails clearly when the broker refuses the replay subscription', async () => {
    const endpoint = { host: '127.0.0.1', port: broker?.port ?? 0 };
    // A service may not subscribe at all; Piminder answers SUBACK 0x80.
    const [serviceTls] = pki.services;
    if (serviceTls === undefined) throw new Error('the bench PKI has no service identity');
    const service = await connectClient(endpoint, serviceTls, 'refused');
    clients.push(service);

    const replay = measureReplay(service, new Set(['piminder/status/x']));

    await expect(replay).rejects.toThrow(BenchError);
    await expect(replay).rejects.toThrow(/monitor could not subscribe/);
  });
});

describe('bad benchmark input', () => {
  it.each([
    ['statuses', 0],
    ['serviceClients', -1],
    ['window', 1.5],
    ['rounds', Number.NaN],
  ] as const)('refuses %s = %s, naming the option', (key, value) => {
    const plan = { ...DEFAULT_PLAN, [key]: value };

    expect(() => checkPlan(plan)).toThrow(BenchError);
    expect(() => checkPlan(plan)).toThrow(new RegExp(`^${key} must be a whole number`));
  });

  it('refuses fewer statuses than service clients', () => {
    const plan = { ...DEFAULT_PLAN, statuses: 3, serviceClients: 4 };

    expect(() => checkPlan(plan)).toThrow(/at least the number of service clients/);
  });

  it('refuses a plan without targets', () => {
    expect(() => checkPlan({ ...DEFAULT_PLAN, targets: [] })).toThrow(/no target/);
  });

  it('names the process whose memory or CPU time cannot be read', () => {
    // Far above any pid_max: no such process can exist.
    expect(() => readMemory(2 ** 30)).toThrow(/cannot read \/proc\/1073741824\/status/);
    expect(() => readCpuMs(2 ** 30)).toThrow(/cannot read \/proc\/1073741824\/stat:/);
  });

  it('reports a broker that exits before it is ready, with its last output', async () => {
    const error = await failedStart;

    expect(error).toBeInstanceOf(BenchError);
    expect(error).toMatchObject({ code: 'PIMINDER_ERR_BENCH_BROKER_EXIT' });
    expect((error as Error).message).toMatch(/no-such-certs/);
  });
});

describe('the topic plan', () => {
  it('gives every status topic to exactly one service, under its own name', () => {
    const plan = topicPlan(['a', 'b', 'c'], 10);

    const all = plan.flat();
    expect(all).toHaveLength(10);
    expect(new Set(all).size).toBe(10);
    expect(plan.map((topics) => topics.length)).toEqual([4, 3, 3]);
    plan.forEach((topics, index) => {
      const owner = ['a', 'b', 'c'][index];
      for (const topic of topics) expect(topic.startsWith(`piminder/status/${owner}/`)).toBe(true);
    });
  });
});
