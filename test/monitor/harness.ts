import mqtt, { type MqttClient } from 'mqtt';
import { monitorConfigSchema, type MonitorConfig } from '../../monitor/config.js';
import { SimulatedBackend } from '../../monitor/gpio/simulated-backend.js';
import { startMonitor } from '../../monitor/index.js';
import type { Monitor } from '../../monitor/monitor.js';
import type { TestPki } from '../helpers/pki.js';
import { captureLog, type LogLine } from './log-capture.js';

/** Outputs for every condition, steady so that every recorded change is a change of state. */
export const TEST_OUTPUTS = [
  { name: 'red', line: 17, when: ['major'] },
  { name: 'amber', line: 27, when: ['minor', 'stale'] },
  { name: 'blue', line: 25, when: ['info'] },
  { name: 'green', line: 22, when: ['all-clear'] },
  { name: 'link', line: 24, when: ['link-down'] },
  { name: 'stale', line: 16, when: ['stale'] },
];

export const TEST_INPUTS = [
  { name: 'ack', line: 5, action: 'ack-all', debounceMs: 20 },
  { name: 'top', line: 6, action: 'ack-top', debounceMs: 20 },
  { name: 'clear', line: 13, action: 'clear-acked', debounceMs: 20 },
];

/** A monitor config for a broker on loopback, with quick timings for tests. */
export function testConfig(port: number, certsDir: string, extra: object = {}): MonitorConfig {
  return monitorConfigSchema.parse({
    broker: { url: `mqtts://127.0.0.1:${port}`, certs: certsDir, identity: 'monitor' },
    linkDownAfter: 1,
    replaySettleMs: 1000,
    reconnect: { minMs: 100, maxMs: 400 },
    gpio: { backend: 'simulated' },
    outputs: TEST_OUTPUTS,
    inputs: TEST_INPUTS,
    ...extra,
  });
}

export interface RunningTestMonitor {
  monitor: Monitor;
  backend: SimulatedBackend;
  lines: LogLine[];
  isOn: (output: string) => boolean;
  /** Every `output changed` line of one output, as on/off in order. */
  changesOf: (output: string) => boolean[];
}

export async function startTestMonitor(config: MonitorConfig): Promise<RunningTestMonitor> {
  const { log, lines } = captureLog();
  const backend = new SimulatedBackend(log);
  const monitor = await startMonitor(config, { log, backend });
  return {
    monitor,
    backend,
    lines,
    isOn: (output) => backend.outputs().find((entry) => entry.name === output)?.on === true,
    changesOf: (output) =>
      lines
        .filter((line) => line.msg === 'output changed' && line.output === output)
        .map((line) => line.on === true),
  };
}

/** An MQTT client with an issued identity's certificate. */
export async function connectAs(pki: TestPki, port: number, name: string): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtts://127.0.0.1:${port}`, {
    ...pki.client(name),
    ca: pki.ca,
    clientId: `${name}:test-${Math.random().toString(16).slice(2, 8)}`,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
  });
}

export async function report(client: MqttClient, topic: string, body: object): Promise<void> {
  await client.publishAsync(topic, JSON.stringify(body), { qos: 1, retain: true });
}
