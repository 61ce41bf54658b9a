import type { Logger } from '../lib/logger.js';
import { parseStatus, type Status } from '../lib/status-payload.js';
import { parseTopic } from '../lib/topics.js';
import type { QoS, RetainedStore } from './retained-store.js';
import type { StatusBook } from './status-book.js';
import type { StatusWriter } from './status-writer.js';
import type { TopicQueue } from './topic-queue.js';

export interface LifecycleContext {
  prefix: string;
  book: StatusBook;
  writer: StatusWriter;
  retained: RetainedStore;
  queue: TopicQueue;
  log: Logger;
  deliver: (topic: string, payload: Buffer, qos: QoS) => void;
}

/** The stored statuses, read back from the retained store at start-up. */
function storedStatuses(context: LifecycleContext): Array<[string, Status]> {
  const statuses: Array<[string, Status]> = [];
  for (const message of context.retained.values()) {
    if (parseTopic(context.prefix, message.topic)?.kind !== 'status') continue;
    try {
      statuses.push([message.topic, parseStatus(message.payload)]);
    } catch (error) {
      const reason = (error as Error).message;
      context.log.warn({ topic: message.topic, reason }, 'stored status unreadable');
    }
  }
  return statuses;
}

/**
 * Marks a status stale through the same durable path as any change; skipped when the status
 * changed since its timer fired.
 */
async function markStale(context: LifecycleContext, topic: string, status: Status) {
  await context.queue.run(topic, async () => {
    if (context.book.get(topic) !== status) return;
    const qos = context.retained.get(topic)?.qos ?? 1;
    const payload = await context.writer.put(topic, { ...status, stale: true }, qos);
    context.log.info({ topic, service: status.service, check: status.check }, 'status stale');
    context.deliver(topic, payload, qos);
  });
}

/**
 * The ttl side of the status lifecycle: the book's timers are rebuilt from the stored
 * statuses, those that ran out while the broker was down are marked stale now, and every
 * later expiry is republished retained with `stale: true`.
 */
export async function startLifecycle(context: LifecycleContext): Promise<void> {
  const stale = (topic: string, status: Status): Promise<void> =>
    markStale(context, topic, status).catch((error: unknown) => {
      context.log.error({ topic, err: error }, 'stale status not stored');
    });

  context.book.on('stale', (topic, status) => void stale(topic, status));
  const expired = context.book.load(storedStatuses(context));
  await Promise.all(expired.map(([topic, status]) => stale(topic, status)));
}
