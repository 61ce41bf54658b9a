import { BenchError } from './errors.js';
import { DEFAULT_TARGETS, type TargetName } from './targets.js';

/** Everything one run measures and how much of it; the defaults are the published figures. */
export interface BenchPlan {
  targets: TargetName[];
  /** Retained statuses written, replayed and held while memory is read. */
  statuses: number;
  /** Service clients publishing at once (distinct identities, distinct topics). */
  serviceClients: number;
  /** QoS 1 publishes each client keeps in flight. */
  window: number;
  /** How long the throughput run publishes, in ms. */
  throughputMs: number;
  /** Upper bound of throughput publishes per client (the time usually ends it first). */
  throughputPerClient: number;
  sequentialConnects: number;
  parallelConnects: number;
  connectConcurrency: number;
  /** Deadline of each single measurement, in ms. */
  stepTimeoutMs: number;
  /** Whole runs over all targets; the report shows the median of each figure. */
  rounds: number;
  /** Where the Node.js brokers write CPU profiles (`node --cpu-prof`), if anywhere. */
  profileDir?: string | undefined;
}

export const DEFAULT_PLAN: BenchPlan = {
  targets: [...DEFAULT_TARGETS],
  statuses: 10_000,
  serviceClients: 4,
  window: 32,
  throughputMs: 5_000,
  throughputPerClient: 1_000_000,
  sequentialConnects: 200,
  parallelConnects: 400,
  connectConcurrency: 20,
  stepTimeoutMs: 60_000,
  rounds: 1,
};

/** Refuses plans that could not measure anything meaningful, naming the option. */
export function checkPlan(plan: BenchPlan): BenchPlan {
  const positive: Array<keyof BenchPlan> = [
    'statuses',
    'serviceClients',
    'window',
    'throughputMs',
    'throughputPerClient',
    'sequentialConnects',
    'parallelConnects',
    'connectConcurrency',
    'stepTimeoutMs',
    'rounds',
  ];
  for (const key of positive) {
    const value = plan[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      const message = `${key} must be a whole number of at least 1, not ${String(value)}`;
      throw new BenchError('BAD_OPTION', message, 'pass a positive whole number');
    }
  }
  if (plan.statuses < plan.serviceClients) {
    throw new BenchError('BAD_OPTION', 'statuses must be at least the number of service clients');
  }
  if (plan.targets.length === 0) throw new BenchError('BAD_OPTION', 'no target to measure');
  return plan;
}
