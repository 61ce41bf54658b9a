import { BROKER_SERVICE } from '../lib/names.js';
import { mayPublish, type Decision, type Identity } from '../lib/roles.js';
import { parseAck, parseReport } from '../lib/status-payload.js';
import { parseTopic } from '../lib/topics.js';

/**
 * The access table (lib/roles.ts) plus the broker's own rule: no client reports under the
 * service name "piminder", so a status there always comes from the broker itself.
 */
export function publishDecision(
  who: Identity,
  prefix: string,
  topic: string,
  payload: Buffer,
): Decision {
  const decision = mayPublish(who, prefix, topic, payload.length === 0);
  if (!decision.allowed) return decision;

  const parsed = parseTopic(prefix, topic);
  if (parsed?.kind === 'status' && parsed.service === BROKER_SERVICE && payload.length > 0) {
    return {
      allowed: false,
      reason: `the service name "${BROKER_SERVICE}" is reserved for the broker`,
    };
  }
  return decision;
}

/**
 * Checks a will at CONNECT, as if its owner published it now: the rights and, on status and
 * ack topics, the payload. Returns the reason to refuse, or undefined.
 */
export function willRefusal(
  who: Identity,
  prefix: string,
  will: { topic: string; payload: Buffer | string },
): string | undefined {
  const payload = Buffer.isBuffer(will.payload) ? will.payload : Buffer.from(will.payload);
  const decision = publishDecision(who, prefix, will.topic, payload);
  if (!decision.allowed) return `will: ${decision.reason}`;

  const parsed = parseTopic(prefix, will.topic);
  try {
    if (parsed?.kind === 'status' && payload.length > 0) parseReport(payload);
    if (parsed?.kind === 'ack') parseAck(payload);
  } catch (error) {
    return `will: ${(error as Error).message}`;
  }
  return undefined;
}
