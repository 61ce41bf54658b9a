import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { SEVERITIES } from '../lib/severity.js';
import { effectiveSeverity, type StatusTable } from '../lib/status-table.js';

/** Why a report (JSON or legacy) was not accepted: the `reason` label. */
export type RefusalReason =
  'unauthenticated' | 'forbidden' | 'invalid' | 'broker_unavailable' | 'broker_timeout';

export type Api = 'json' | 'legacy';

export interface MetricsSources {
  table: StatusTable;
  brokerSynced: () => boolean;
  eventStreams: () => number;
}

/**
 * The bridge's Prometheus metrics, in a registry of its own so that several bridges in one
 * process (tests, `piminder start`) never share counters.
 */
export class BridgeMetrics {
  readonly registry = new Registry();
  readonly reportsAccepted: Counter<'api'>;
  readonly reportsRefused: Counter<'api' | 'reason'>;
  readonly acknowledgements: Counter<'api'>;
  readonly httpRequests: Counter<'method' | 'route' | 'code'>;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'piminder_bridge_' });

    this.reportsAccepted = new Counter({
      name: 'piminder_bridge_reports_accepted_total',
      help: 'Status reports accepted by the broker (PUBACK) through the bridge',
      labelNames: ['api'],
      registers,
    });
    this.reportsRefused = new Counter({
      name: 'piminder_bridge_reports_refused_total',
      help: 'Status reports refused by the bridge, by reason',
      labelNames: ['api', 'reason'],
      registers,
    });
    this.acknowledgements = new Counter({
      name: 'piminder_bridge_acknowledgements_total',
      help: 'Acknowledgements made through the bridge',
      labelNames: ['api'],
      registers,
    });
    this.httpRequests = new Counter({
      name: 'piminder_bridge_http_requests_total',
      help: 'HTTP requests answered, by route template and status code',
      labelNames: ['method', 'route', 'code'],
      registers,
    });
    this.#gauges(sources, registers);
  }

  #gauges(sources: MetricsSources, registers: Registry[]): void {
    new Gauge({
      name: 'piminder_bridge_broker_connected',
      help: '1 while the bridge is connected and subscribed to the broker',
      registers,
      collect() {
        this.set(sources.brokerSynced() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'piminder_bridge_event_streams',
      help: 'Clients connected to the live event stream (/api/v1/events)',
      registers,
      collect() {
        this.set(sources.eventStreams());
      },
    });
    new Gauge({
      name: 'piminder_statuses',
      help: 'Current statuses by effective severity (stale counts as at least minor)',
      labelNames: ['severity', 'acknowledged'],
      registers,
      collect() {
        this.reset();
        for (const severity of SEVERITIES) {
          this.set({ severity, acknowledged: 'true' }, 0);
          this.set({ severity, acknowledged: 'false' }, 0);
        }
        for (const status of sources.table.list()) {
          const labels = {
            severity: effectiveSeverity(status),
            acknowledged: String(status.acknowledged),
          };
          this.inc(labels);
        }
      },
    });
  }
}
