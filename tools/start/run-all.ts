import { DEFAULT_BROKER_URL } from '../../lib/client-identity.js';
import type { Logger } from '../../lib/logger.js';
import { startBroker, type RunningBroker } from '../../broker/index.js';
import { startBridge, type RunningBridge } from '../../bridge/index.js';
import { startMonitor, type Monitor } from '../../monitor/index.js';
import type { StartConfig } from './config.js';

/** The parts one `piminder start` runs; each is absent when its section is. */
export interface RunningParts {
  broker: RunningBroker | undefined;
  bridge: RunningBridge | undefined;
  monitor: Monitor | undefined;
}

/**
 * A client left at the default broker address follows the embedded broker to wherever it
 * really listens (port 0 in tests, another port in a config file).
 */
function brokerUrlFor(configured: string, broker: RunningBroker | undefined): string {
  if (broker === undefined || configured !== DEFAULT_BROKER_URL) return configured;
  return `mqtts://${broker.host}:${broker.port}`;
}

/** Stops what runs, bridge and broker first, the monitor (outputs in safe state) last. */
/**
 * Stops in the reverse order of start: the monitor's outputs go off and it disconnects, then
 * the bridge, then the broker, so no part logs the loss of a broker that was meant to stop.
 */
export async function stopParts(parts: RunningParts): Promise<void> {
  parts.monitor?.safeState();
  await parts.monitor?.close();
  await parts.bridge?.close();
  await parts.broker?.close();
}

/**
 * Starts the broker, then the parts that connect to it. A part that cannot start stops the
 * ones already running and the error propagates with its reason.
 */
export async function startParts(config: StartConfig, log: Logger): Promise<RunningParts> {
  const parts: RunningParts = { broker: undefined, bridge: undefined, monitor: undefined };
  try {
    if (config.broker) {
      parts.broker = await startBroker(config.broker, { logger: log.child({ part: 'broker' }) });
    }
    if (config.bridge) {
      const broker = brokerUrlFor(config.bridge.broker, parts.broker);
      parts.bridge = await startBridge({ ...config.bridge, broker }, { logger: log });
    }
    if (config.monitor) {
      const url = brokerUrlFor(config.monitor.broker.url, parts.broker);
      const monitorConfig = { ...config.monitor, broker: { ...config.monitor.broker, url } };
      parts.monitor = await startMonitor(monitorConfig, { log: log.child({ part: 'monitor' }) });
    }
    return parts;
  } catch (error) {
    await stopParts(parts);
    throw error;
  }
}
