import type { MqttClient } from 'mqtt';
import type { BenchPki } from './bench-pki.js';
import type { BenchPlan } from './bench-plan.js';
import type { BrokerProcess } from './broker-process.js';
import { BenchError, withDeadline } from './errors.js';
import { measureConnects, type ConnectFigures } from './measure-connects.js';
import { measurePublishes, type PublishFigures } from './measure-publish.js';
import { measureReplay, type ReplayFigures } from './measure-replay.js';
import { readCpuMs, readMemory, type MemoryFigures } from './measure-rss.js';
import { closeClient, connectClient, type Endpoint } from './mqtt-harness.js';
import { statusPayloads, topicPlan } from './status-load.js';
import { startTarget, type TargetName, type TargetPlace } from './targets.js';

/** CPU time the broker process used during each step, in ms (see readCpuMs). */
export interface CpuFigures {
  writeAllMs: number;
  throughputMs: number;
  replayMs: number;
  sequentialConnectsMs: number;
  parallelConnectsMs: number;
}

/** What one broker scored in one round. */
export interface TargetFigures {
  target: TargetName;
  cpu: CpuFigures;
  writeAll: PublishFigures;
  throughput: PublishFigures;
  replay: ReplayFigures;
  memory: MemoryFigures;
  sequentialConnects: ConnectFigures;
  parallelConnects: ConnectFigures;
}

/** Reports progress lines; the command prints them, the test ignores them. */
export type Progress = (line: string) => void;

async function connectAll(endpoint: Endpoint, pki: BenchPki, count: number) {
  const clients: MqttClient[] = [];
  for (const tls of pki.services.slice(0, count)) {
    clients.push(await connectClient(endpoint, tls, 'bench-publish'));
  }
  return clients;
}

/** Every measurement against a broker that is already running, in the order they depend on. */
export async function measureBroker(
  broker: Pick<BrokerProcess, 'pid' | 'port'>,
  target: TargetName,
  pki: BenchPki,
  plan: BenchPlan,
  progress: Progress = () => {},
): Promise<TargetFigures> {
  const endpoint = { host: '127.0.0.1', port: broker.port };
  const step = <T>(what: string, work: () => Promise<T>) => {
    progress(`${target}: ${what}`);
    return withDeadline(`${target}: ${what}`, plan.stepTimeoutMs, work());
  };
  let cpuMark = readCpuMs(broker.pid);
  const cpuSinceMark = () => {
    const now = readCpuMs(broker.pid);
    const used = now - cpuMark;
    cpuMark = now;
    return used;
  };
  const cpu: CpuFigures = {
    writeAllMs: 0, throughputMs: 0, replayMs: 0, sequentialConnectsMs: 0, parallelConnectsMs: 0,
  };
  const names = pki.services.slice(0, plan.serviceClients).map((tls) => tls.name);
  const plannedTopics = topicPlan(names, plan.statuses);
  const payloads = statusPayloads();

  const clients = await step('connect publishers', () =>
    connectAll(endpoint, pki, plan.serviceClients),
  );
  let writeAll: PublishFigures;
  let throughput: PublishFigures;
  try {
    const publishers = clients.map((client, index) => ({
      client,
      topics: plannedTopics[index] ?? [],
    }));
    // Each topic once: the store goes from empty to exactly `statuses` retained messages.
    const eachTopicOnce = publishers.map((publisher) => ({
      ...publisher,
      limit: publisher.topics.length,
    }));
    cpuSinceMark();
    writeAll = await step(`write ${plan.statuses} statuses`, () =>
      measurePublishes({
        publishers: eachTopicOnce,
        payloads,
        window: plan.window,
        perClient: plan.statuses,
        durationMs: plan.stepTimeoutMs,
      }),
    );
    cpu.writeAllMs = cpuSinceMark();
    // The same topics again, so the store still holds exactly `statuses` afterwards.
    throughput = await step('QoS 1 throughput', () =>
      measurePublishes({
        publishers,
        payloads,
        window: plan.window,
        perClient: plan.throughputPerClient,
        durationMs: plan.throughputMs,
      }),
    );
    cpu.throughputMs = cpuSinceMark();
  } finally {
    await Promise.all(clients.map(closeClient));
  }
  if (writeAll.acked !== plan.statuses) {
    const message = `${target}: ${writeAll.acked} of ${plan.statuses} statuses acknowledged`;
    throw new BenchError('COUNT_MISMATCH', message);
  }

  const replay = await step(`replay ${plan.statuses} retained`, async () => {
    const monitor = await connectClient(endpoint, pki.monitor, 'bench-replay');
    try {
      cpuSinceMark();
      const figures = await measureReplay(monitor, new Set(plannedTopics.flat()));
      cpu.replayMs = cpuSinceMark();
      return figures;
    } finally {
      await closeClient(monitor);
    }
  });
  const memory = readMemory(broker.pid);

  const tls = pki.services[0] ?? pki.monitor;
  cpuSinceMark();
  const sequentialConnects = await step('sequential connects', () =>
    measureConnects(endpoint, tls, plan.sequentialConnects, 1),
  );
  cpu.sequentialConnectsMs = cpuSinceMark();
  const parallelConnects = await step(`${plan.connectConcurrency} parallel connects`, () =>
    measureConnects(endpoint, tls, plan.parallelConnects, plan.connectConcurrency),
  );
  cpu.parallelConnectsMs = cpuSinceMark();
  return {
    target, cpu, writeAll, throughput, replay, memory, sequentialConnects, parallelConnects,
  };
}

/** Starts a fresh broker for `target`, measures it and stops it, also when a step fails. */
export async function runTarget(
  target: TargetName,
  place: TargetPlace,
  pki: BenchPki,
  plan: BenchPlan,
  progress: Progress = () => {},
): Promise<TargetFigures> {
  progress(`${target}: starting`);
  const broker = await startTarget(target, place);
  try {
    return await measureBroker(broker, target, pki, plan, progress);
  } finally {
    await broker.stop();
  }
}
