import { SEVERITIES } from '../../lib/severity.js';
import { DEFAULT_PREFIX, statusTopic } from '../../lib/topics.js';

/** Distinct report bodies cycled through, so the harness does not spend its time in JSON. */
const PAYLOAD_VARIANTS = 64;

/**
 * Which service publishes which status topics: topic k belongs to service k mod n, as
 * check `c<k div n>`, so every service owns about the same share and no two share a topic.
 */
export function topicPlan(serviceNames: readonly string[], statusCount: number): string[][] {
  const plan: string[][] = serviceNames.map(() => []);
  for (let index = 0; index < statusCount; index += 1) {
    const owner = index % serviceNames.length;
    const service = serviceNames[owner] ?? '';
    const check = `c${Math.floor(index / serviceNames.length)}`;
    plan[owner]?.push(statusTopic(DEFAULT_PREFIX, service, check));
  }
  return plan;
}

/** Valid status reports of the contract: every severity, short realistic messages. */
export function statusPayloads(): Buffer[] {
  const payloads: Buffer[] = [];
  for (let index = 0; index < PAYLOAD_VARIANTS; index += 1) {
    const severity = SEVERITIES[index % SEVERITIES.length] ?? 'ok';
    const report = { severity, message: `disk /var at ${50 + (index % 50)}% (bench ${index})` };
    payloads.push(Buffer.from(JSON.stringify(report), 'utf8'));
  }
  return payloads;
}
