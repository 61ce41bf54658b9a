import type { TargetFigures } from './run-target.js';
import { median } from './stats.js';
import type { TargetName } from './targets.js';

/** One figure of the report: how to read it from a round and which way is better. */
export interface Metric {
  key: string;
  label: string;
  unit: string;
  better: 'higher' | 'lower';
  read: (figures: TargetFigures) => number;
}

type Read = (figures: TargetFigures) => number;

function metric(key: string, label: string, unit: string, better: Metric['better'], read: Read) {
  return { key, label, unit, better, read };
}

export function metrics(statuses: number, concurrency: number): Metric[] {
  const count = statuses.toLocaleString('en-US');
  return [
    metric('qos1PerSecond', 'QoS 1 status throughput', 'msg/s', 'higher',
      (f) => f.throughput.perSecond),
    metric('qos1P50Ms', 'publish->PUBACK p50 (under load)', 'ms', 'lower',
      (f) => f.throughput.p50Ms),
    metric('qos1P99Ms', 'publish->PUBACK p99 (under load)', 'ms', 'lower',
      (f) => f.throughput.p99Ms),
    metric('writeAllMs', `write ${count} retained statuses`, 'ms', 'lower',
      (f) => f.writeAll.elapsedMs),
    metric('replayMs', `new monitor receives all ${count}`, 'ms', 'lower',
      (f) => f.replay.ms),
    metric('connectsPerSecond', 'mTLS connects/s, sequential', '/s', 'higher',
      (f) => f.sequentialConnects.perSecond),
    metric('connectP50Ms', 'mTLS connect->CONNACK p50', 'ms', 'lower',
      (f) => f.sequentialConnects.p50Ms),
    metric('parallelConnectsPerSecond', `mTLS connects/s, ${concurrency} parallel`, '/s',
      'higher', (f) => f.parallelConnects.perSecond),
    metric('cpuPer1000PublishesMs', 'broker CPU per 1,000 QoS 1 publishes', 'ms', 'lower',
      (f) => (f.cpu.throughputMs * 1000) / f.throughput.acked),
    metric('cpuReplayMs', `broker CPU to replay ${count}`, 'ms', 'lower', (f) => f.cpu.replayMs),
    metric('cpuPerConnectMs', 'broker CPU per mTLS connect', 'ms', 'lower',
      (f) => (f.cpu.sequentialConnectsMs + f.cpu.parallelConnectsMs)
        / (f.sequentialConnects.connects + f.parallelConnects.connects)),
    metric('rssMb', `broker RSS with ${count} statuses`, 'MB', 'lower',
      (f) => f.memory.rssMb),
    metric('peakRssMb', 'broker peak RSS (VmHWM)', 'MB', 'lower', (f) => f.memory.peakRssMb),
  ];
}

export type Summary = Partial<Record<TargetName, Record<string, number>>>;

/** The median of each metric over the rounds, per target. */
export function summarise(rounds: readonly TargetFigures[], list: readonly Metric[]): Summary {
  const summary: Summary = {};
  const targets = [...new Set(rounds.map((figures) => figures.target))];
  for (const target of targets) {
    const mine = rounds.filter((figures) => figures.target === target);
    summary[target] = Object.fromEntries(
      list.map((metric) => [metric.key, median(mine.map(metric.read))]),
    );
  }
  return summary;
}

/** `value / Mosquitto's value` per target and metric, where Mosquitto was measured. */
export function ratiosToMosquitto(summary: Summary): Summary {
  const base = summary.mosquitto;
  if (base === undefined) return {};
  const ratios: Summary = {};
  const entries = Object.entries(summary) as Array<[TargetName, Record<string, number>]>;
  for (const [target, values] of entries) {
    if (target === 'mosquitto') continue;
    ratios[target] = Object.fromEntries(
      Object.entries(values).map(([key, value]) => [key, value / (base[key] ?? Number.NaN)]),
    );
  }
  return ratios;
}

/** A target from the issue, checked against the summary. */
export interface GoalResult {
  goal: string;
  met: boolean | undefined;
  detail: string;
}

const ratioText = (value: number | undefined) =>
  value === undefined || !Number.isFinite(value) ? 'n/a' : `${value.toFixed(2)}x`;

/** The targets for Piminder on this machine; undefined where a figure is missing. */
export function checkGoals(summary: Summary, ratios: Summary): GoalResult[] {
  const ratio = ratios.piminder ?? {};
  const mine = summary.piminder ?? {};
  const atLeast = (key: string, limit: number) =>
    ratio[key] === undefined ? undefined : ratio[key] >= limit;
  const rss = mine.rssMb;
  const replay = ratio.replayMs;
  return [
    {
      goal: 'QoS 1 throughput with fsync >= Mosquitto',
      met: atLeast('qos1PerSecond', 1),
      detail: ratioText(ratio.qos1PerSecond),
    },
    {
      goal: 'replay of all statuses within 1.5x Mosquitto',
      met: replay === undefined ? undefined : replay <= 1.5,
      detail: ratioText(replay),
    },
    {
      goal: 'sequential connects/s >= Mosquitto',
      met: atLeast('connectsPerSecond', 1),
      detail: ratioText(ratio.connectsPerSecond),
    },
    {
      goal: 'parallel connects/s >= Mosquitto',
      met: atLeast('parallelConnectsPerSecond', 1),
      detail: ratioText(ratio.parallelConnectsPerSecond),
    },
    {
      goal: 'RSS < 100 MB',
      met: rss === undefined ? undefined : rss < 100,
      detail: rss === undefined ? 'n/a' : `${rss.toFixed(1)} MB`,
    },
  ];
}
