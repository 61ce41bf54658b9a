import type { MqttClient } from 'mqtt';
import type { BenchPki } from './bench-pki.js';
import type { BenchPlan } from './bench-plan.js';
import type { BrokerProcess } from './broker-process.js';
import { CpuMeter } from './cpu-meter.js';
import { BenchError, withDeadline } from './errors.js';
import { measureConnects, type ConnectFigures } from './measure-connects.js';
import { measurePublishes, type PublishFigures } from './measure-publish.js';
import { measureReplay, type ReplayFigures } from './measure-replay.js';
import { readMemory, type MemoryFigures } from './proc-stats.js';
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
  /** The first new monitor after the writes. */
  replay: ReplayFigures;
  /** The fastest of the new monitors after it. */
  warmReplay: ReplayFigures;
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

/** What every step of one broker's measurement shares. */
interface StepContext {
  target: TargetName;
  endpoint: Endpoint;
  pki: BenchPki;
  plan: BenchPlan;
  meter: CpuMeter;
  plannedTopics: string[][];
  step: <T>(what: string, work: () => Promise<T>) => Promise<T>;
}

/**
 * Writes every planned status once (the store goes from empty to exactly `statuses`), then
 * publishes the same topics again for the throughput run, so the count stays exact.
 */
async function publishSteps(context: StepContext) {
  const { endpoint, pki, plan, meter, plannedTopics, step } = context;
  const payloads = statusPayloads();
  const clients = await step('connect publishers', () =>
    connectAll(endpoint, pki, plan.serviceClients),
  );

  try {
    const publishers = clients.map((client, index) => ({
      client,
      topics: plannedTopics[index] ?? [],
    }));
    const load = { publishers, payloads, window: plan.window };
    const eachTopicOnce = publishers.map((publisher) => ({
      ...publisher,
      limit: publisher.topics.length,
    }));

    meter.reset();
    const writeAll = await step(`write ${plan.statuses} statuses`, () =>
      measurePublishes({
        ...load,
        publishers: eachTopicOnce,
        perClient: plan.statuses,
        durationMs: plan.stepTimeoutMs,
      }),
    );
    const writeAllMs = meter.lap();

    const throughput = await step('QoS 1 throughput', () =>
      measurePublishes({
        ...load,
        perClient: plan.throughputPerClient,
        durationMs: plan.throughputMs,
      }),
    );
    return { writeAll, throughput, writeAllMs, throughputMs: meter.lap() };
  } finally {
    await Promise.all(clients.map(closeClient));
  }
}

/** Replays after the first: code paths are warm, as for a monitor reconnecting. */
const WARM_REPLAYS = 2;

/** One new monitor, connected first, then timed from SUBSCRIBE to the last planned status. */
async function replayOnce(context: StepContext): Promise<ReplayFigures> {
  const { endpoint, pki, plannedTopics } = context;
  const monitor = await connectClient(endpoint, pki.monitor, 'bench-replay');
  try {
    return await measureReplay(monitor, new Set(plannedTopics.flat()));
  } finally {
    await closeClient(monitor);
  }
}

/**
 * The first replay after the writes (cold: the broker has never replayed before, and may still
 * be compacting its database), with its CPU time; then the best of a few more (warm).
 */
function replaySteps(context: StepContext) {
  const { plan, meter, step } = context;
  return step(`replay ${plan.statuses} retained`, async () => {
    meter.reset();
    const replay = await replayOnce(context);
    const replayMs = meter.lap();

    const warm: ReplayFigures[] = [];
    for (let index = 0; index < WARM_REPLAYS; index += 1) warm.push(await replayOnce(context));
    const warmReplay = warm.reduce((best, next) => (next.ms < best.ms ? next : best));
    return { replay, replayMs, warmReplay };
  });
}

async function connectSteps(context: StepContext) {
  const { endpoint, pki, plan, meter, step } = context;
  const tls = pki.services[0] ?? pki.monitor;

  meter.reset();
  const sequential = await step('sequential connects', () =>
    measureConnects(endpoint, tls, plan.sequentialConnects, 1),
  );
  const sequentialMs = meter.lap();

  const parallel = await step(`${plan.connectConcurrency} parallel connects`, () =>
    measureConnects(endpoint, tls, plan.parallelConnects, plan.connectConcurrency),
  );
  return { sequential, parallel, sequentialMs, parallelMs: meter.lap() };
}

/** Every measurement against a broker that is already running, in the order they depend on. */
export async function measureBroker(
  broker: Pick<BrokerProcess, 'pid' | 'port'>,
  target: TargetName,
  pki: BenchPki,
  plan: BenchPlan,
  progress: Progress = () => {},
): Promise<TargetFigures> {
  const names = pki.services.slice(0, plan.serviceClients).map((tls) => tls.name);
  const context: StepContext = {
    target,
    endpoint: { host: '127.0.0.1', port: broker.port },
    pki,
    plan,
    meter: new CpuMeter(broker.pid),
    plannedTopics: topicPlan(names, plan.statuses),
    step: (what, work) => {
      progress(`${target}: ${what}`);
      return withDeadline(`${target}: ${what}`, plan.stepTimeoutMs, work());
    },
  };

  const published = await publishSteps(context);
  const written = published.writeAll.acked;
  if (written !== plan.statuses) {
    const message = `${target}: ${written} of ${plan.statuses} statuses acknowledged`;
    throw new BenchError('COUNT_MISMATCH', message);
  }

  const { replay, replayMs, warmReplay } = await replaySteps(context);
  const memory = readMemory(broker.pid);

  const connects = await connectSteps(context);
  return {
    target,
    cpu: {
      writeAllMs: published.writeAllMs,
      throughputMs: published.throughputMs,
      replayMs,
      sequentialConnectsMs: connects.sequentialMs,
      parallelConnectsMs: connects.parallelMs,
    },
    writeAll: published.writeAll,
    throughput: published.throughput,
    replay,
    warmReplay,
    memory,
    sequentialConnects: connects.sequential,
    parallelConnects: connects.parallel,
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
