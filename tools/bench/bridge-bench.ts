import type { HttpBenchFigures, RunFigures } from './http-bench.js';
import { withDeadline } from './errors.js';
import { renderTable } from './report.js';

export type { HttpBenchFigures } from './http-bench.js';

export interface BridgeBenchOptions {
  /** Length of each of its three runs (JSON API, legacy API, direct MQTT), in seconds. */
  durationSeconds: number;
  connections: number;
  progress: (line: string) => void;
}

/**
 * The bridge's HTTP load benchmark (tools/bench/http-bench.ts, the bridge's own module): its
 * broker and bridge run inside this process, so it comes after the brokers are measured.
 * Loaded only when asked for, so `--no-http` never loads the bridge.
 */
export async function runBridgeBench(options: BridgeBenchOptions): Promise<HttpBenchFigures> {
  const { runHttpBench } = await import('./http-bench.js');
  // Three runs plus start-up; a generous bound that still ends a stuck run.
  const deadlineMs = (options.durationSeconds * 3 + 60) * 1000;
  const work = runHttpBench({
    durationSeconds: options.durationSeconds,
    connections: options.connections,
    progress: (line) => options.progress(`http: ${line}`),
  });
  return withDeadline('HTTP benchmark', deadlineMs, work);
}

/** HTTP requests beside direct MQTT publishes of the same reports, with ratios to MQTT. */
export function bridgeTable(figures: HttpBenchFigures): string {
  const base = figures.mqttDirect.perSecond;
  const row = (label: string, run: RunFigures) => [
    label,
    Math.round(run.perSecond).toLocaleString('en-US'),
    base > 0 ? `${(run.perSecond / base).toFixed(2)}x` : 'n/a',
    String(run.p50Ms),
    String(run.p99Ms),
    String(run.requests),
    String(run.failures),
  ];
  return renderTable([
    ['path (reports of one service)', 'per s', 'vs MQTT', 'p50 ms', 'p99 ms', 'total', 'failed'],
    row('HTTP JSON API  POST /api/v1/status', figures.jsonApi),
    row('HTTP legacy    POST /api/messages/', figures.legacyApi),
    row('MQTT direct    QoS 1 publish', figures.mqttDirect),
  ]);
}
