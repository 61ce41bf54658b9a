import { performance } from 'node:perf_hooks';
import type { MqttClient } from 'mqtt';
import { DEFAULT_PREFIX, allStatusFilter } from '../../lib/topics.js';
import { BenchError } from './errors.js';
import { dropReason } from './mqtt-harness.js';

export interface ReplayFigures {
  /** From SUBSCRIBE sent to the last expected retained status received. */
  ms: number;
  /** Retained messages received on the expected topics (duplicates included). */
  received: number;
  /** Distinct expected topics received. */
  distinct: number;
  /** Retained messages on other topics (Piminder's own statuses, for example). */
  others: number;
}

/**
 * A new monitor subscribes to every status and waits until each expected topic has arrived
 * as a retained message [MQTT-3.3.1-6]. The subscriber was connected beforehand, so only
 * the replay itself is timed.
 */
export function measureReplay(monitor: MqttClient, expected: ReadonlySet<string>) {
  return new Promise<ReplayFigures>((resolve, reject) => {
    const seen = new Set<string>();
    let received = 0;
    let others = 0;
    let startedAt = 0;

    const onMessage = (topic: string, _payload: Buffer, packet: { retain: boolean }) => {
      if (!packet.retain) return;
      if (!expected.has(topic)) {
        others += 1;
        return;
      }
      received += 1;
      seen.add(topic);
      if (seen.size === expected.size) finish();
    };
    const stopListening = () => {
      monitor.off('message', onMessage);
      monitor.off('close', onClose);
    };
    const finish = () => {
      stopListening();
      resolve({ ms: performance.now() - startedAt, received, distinct: seen.size, others });
    };
    const onClose = () => {
      stopListening();
      const reason = `${dropReason(monitor)} after ${seen.size} of ${expected.size} statuses`;
      reject(new BenchError('CONNECT', `monitor lost its connection: ${reason}`));
    };

    monitor.on('message', onMessage);
    monitor.once('close', onClose);
    startedAt = performance.now();
    monitor.subscribe(allStatusFilter(DEFAULT_PREFIX), { qos: 1 }, (error, granted) => {
      const refused = granted?.some((grant) => grant.qos === 128) === true;
      if (error || refused) {
        stopListening();
        const reason = error?.message ?? 'the broker refused the subscription';
        reject(new BenchError('CONNECT', `monitor could not subscribe: ${reason}`));
      }
    });
    if (expected.size === 0) finish();
  });
}
