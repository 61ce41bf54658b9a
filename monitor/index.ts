import {
  clientIdFor,
  identityFiles,
  readClientTls,
  type ClientTls,
} from '../lib/client-identity.js';
import { isPiminderError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { allStatusFilter } from '../lib/topics.js';
import type { MonitorConfig } from './config.js';
import { BrokerConnection } from './connection.js';
import { MonitorError } from './errors.js';
import type { GpioBackend } from './gpio/backend.js';
import { chooseBackend } from './gpio/choose-backend.js';
import { Monitor } from './monitor.js';

export { loadMonitorConfig, monitorConfigSchema, type MonitorConfig } from './config.js';
export type { Condition, LinkState } from './conditions.js';
export type { GpioBackend } from './gpio/backend.js';
export { SimulatedBackend } from './gpio/simulated-backend.js';
export { Monitor, type MonitorState, type OutputState } from './monitor.js';
export { installProcessGuards, type ProcessGuards } from './process-guards.js';
export { attachSimulatedControls } from './simulated-controls.js';
export { LiveView, renderView } from './view.js';

export interface MonitorOptions {
  log: Logger;
  /** GPIO to drive; chosen from `config.gpio` when left out. */
  backend?: GpioBackend;
  /** Client certificate, key and CA; read from `config.broker.certs` when left out. */
  tls?: ClientTls;
  /** MQTT client id; `<identity>:monitor-<random>` when left out. */
  clientId?: string;
}

/** The monitor's certificate, with a hint in the monitor's own terms when it is missing. */
function readMonitorTls(certs: string, identity: string): ClientTls {
  try {
    return readClientTls(identityFiles(certs, identity));
  } catch (error) {
    if (!isPiminderError(error)) throw error;
    throw new MonitorError(
      'CLIENT_FILES',
      error.message,
      `issue one with "piminder certs issue ${identity} --role monitor", ` +
        'or set broker.certs and broker.identity',
    );
  }
}

/**
 * Starts a monitor: reads its certificate, claims its GPIO lines with every output off, and
 * connects. It runs until `close()`, which puts every output in its safe state first.
 * Throws a PiminderError (certificate files, GPIO lines) before anything is left claimed.
 */
export async function startMonitor(
  config: MonitorConfig,
  options: MonitorOptions,
): Promise<Monitor> {
  const { log } = options;
  const { identity, certs, url, keepalive } = config.broker;
  const tls = options.tls ?? readMonitorTls(certs, identity);
  const backend = options.backend ?? chooseBackend(config.gpio, log);

  const connection = new BrokerConnection({
    url,
    tls,
    clientId: options.clientId ?? clientIdFor(identity, 'monitor'),
    filter: allStatusFilter(config.topicPrefix),
    keepaliveSeconds: keepalive,
    reconnect: config.reconnect,
    log,
  });
  const monitor = new Monitor(config, backend, connection, log);
  monitor.start();
  log.info({ backend: backend.kind, url, identity }, 'monitor started');
  return monitor;
}
