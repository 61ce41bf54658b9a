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

/** Every figure the table shows, in its order; labels carry the run's sizes. */
export function metrics(statuses: number, concurrency: number): Metric[] {
  const count = statuses.toLocaleString('en-US');
  return [
    {
      key: 'qos1PerSecond',
      label: 'QoS 1 status throughput',
      unit: 'msg/s',
      better: 'higher',
      read: (f) => f.throughput.perSecond,
    },
    {
      key: 'qos1P50Ms',
      label: 'publish->PUBACK p50 (under load)',
      unit: 'ms',
      better: 'lower',
      read: (f) => f.throughput.p50Ms,
    },
    {
      key: 'qos1P99Ms',
      label: 'publish->PUBACK p99 (under load)',
      unit: 'ms',
      better: 'lower',
      read: (f) => f.throughput.p99Ms,
    },
    {
      key: 'writeAllMs',
      label: `write ${count} retained statuses`,
      unit: 'ms',
      better: 'lower',
      read: (f) => f.writeAll.elapsedMs,
    },
    {
      key: 'replayMs',
      label: `new monitor receives all ${count}, first`,
      unit: 'ms',
      better: 'lower',
      read: (f) => f.replay.ms,
    },
    {
      key: 'warmReplayMs',
      label: 'new monitor receives all, warm (best of 2 more)',
      unit: 'ms',
      better: 'lower',
      read: (f) => f.warmReplay.ms,
    },
    {
      key: 'connectsPerSecond',
      label: 'mTLS connects/s, sequential',
      unit: '/s',
      better: 'higher',
      read: (f) => f.sequentialConnects.perSecond,
    },
    {
      key: 'connectP50Ms',
      label: 'mTLS connect->CONNACK p50',
      unit: 'ms',
      better: 'lower',
      read: (f) => f.sequentialConnects.p50Ms,
    },
    {
      key: 'parallelConnectsPerSecond',
      label: `mTLS connects/s, ${concurrency} parallel`,
      unit: '/s',
      better: 'higher',
      read: (f) => f.parallelConnects.perSecond,
    },
    {
      key: 'cpuPer1000PublishesMs',
      label: 'broker CPU per 1,000 QoS 1 publishes',
      unit: 'ms',
      better: 'lower',
      read: (f) => (f.cpu.throughputMs * 1000) / f.throughput.acked,
    },
    {
      key: 'cpuReplayMs',
      label: `broker CPU to replay ${count}`,
      unit: 'ms',
      better: 'lower',
      read: (f) => f.cpu.replayMs,
    },
    {
      key: 'cpuPerConnectMs',
      label: 'broker CPU per mTLS connect',
      unit: 'ms',
      better: 'lower',
      read: (f) =>
        (f.cpu.sequentialConnectsMs + f.cpu.parallelConnectsMs) /
        (f.sequentialConnects.connects + f.parallelConnects.connects),
    },
    {
      key: 'rssMb',
      label: `broker RSS with ${count} statuses`,
      unit: 'MB',
      better: 'lower',
      read: (f) => f.memory.rssMb,
    },
    {
      key: 'peakRssMb',
      label: 'broker peak RSS (VmHWM)',
      unit: 'MB',
      better: 'lower',
      read: (f) => f.memory.peakRssMb,
    },
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
  const warmReplay = ratio.warmReplayMs;
  return [
    {
      goal: 'QoS 1 throughput with fsync >= Mosquitto',
      met: atLeast('qos1PerSecond', 1),
      detail: ratioText(ratio.qos1PerSecond),
    },
    {
      goal: 'replay of all statuses within 1.5x Mosquitto (first)',
      met: replay === undefined ? undefined : replay <= 1.5,
      detail: ratioText(replay),
    },
    {
      goal: 'replay of all statuses within 1.5x Mosquitto (warm)',
      met: warmReplay === undefined ? undefined : warmReplay <= 1.5,
      detail: ratioText(warmReplay),
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
