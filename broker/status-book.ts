import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { PiminderError } from '../lib/errors.js';
import type { Report, Status } from '../lib/status-payload.js';
import type { ParsedTopic } from '../lib/topics.js';

/**
 * The lifecycle rules of statuses, kept apart from MQTT: how a report becomes a stored status
 * (repeats keep their acknowledgement), how an acknowledgement changes it, and when a status
 * whose ttl ran out turns stale. The book also is the broker's in-memory set of current
 * statuses; the broker calls `commit` and `remove` once a change is durably stored.
 */

export type LifecycleProblem = 'ACK_NO_STATUS' | 'ACK_WRONG_ID';

export class LifecycleError extends PiminderError {
  constructor(problem: LifecycleProblem, message: string, hint: string) {
    super(`PIMINDER_ERR_${problem}`, message, { hint });
  }
}

export interface StatusBookOptions {
  prefix: string;
  /** Clock in milliseconds; tests pass a fake one. */
  now?: () => number;
  newId?: () => string;
}

/** setTimeout cannot wait longer than this; longer ttls are waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function deadlineOf(status: Status): number | undefined {
  if (status.ttl === undefined || status.stale === true) return undefined;
  return Date.parse(status.receivedAt) + status.ttl * 1000;
}

export class StatusBook extends EventEmitter<{ stale: [topic: string, status: Status] }> {
  readonly prefix: string;
  readonly #now: () => number;
  readonly #newId: () => string;
  readonly #statuses = new Map<string, Status>();
  readonly #timers = new Map<string, NodeJS.Timeout>();

  constructor(options: StatusBookOptions) {
    super();
    this.prefix = options.prefix;
    this.#now = options.now ?? Date.now;
    this.#newId = options.newId ?? randomUUID;
  }

  get(topic: string): Status | undefined {
    return this.#statuses.get(topic);
  }

  entries(): IterableIterator<[string, Status]> {
    return this.#statuses.entries();
  }

  get size(): number {
    return this.#statuses.size;
  }

  /**
   * The status to store for a valid report. The same severity and message as the current
   * status is a repeat: it keeps the id and the acknowledgement, so a cron job that warns every
   * five minutes does not re-alarm after someone has seen it. Anything else is a new status.
   */
  normalise(topic: string, parsed: ParsedTopic, report: Report): Status {
    const now = new Date(this.#now()).toISOString();
    const previous = this.#statuses.get(topic);
    const repeat =
      previous !== undefined &&
      previous.severity === report.severity &&
      previous.message === report.message;

    const status: Status = {
      service: parsed.service,
      check: parsed.check ?? null,
      id: repeat ? previous.id : this.#newId(),
      severity: report.severity,
      message: report.message,
      timestamp: report.timestamp ?? now,
      ...(report.ttl === undefined ? {} : { ttl: report.ttl }),
      receivedAt: now,
      acknowledged: repeat ? previous.acknowledged : false,
    };
    if (repeat && previous.acknowledged) {
      if (previous.acknowledgedBy !== undefined) status.acknowledgedBy = previous.acknowledgedBy;
      if (previous.acknowledgedAt !== undefined) status.acknowledgedAt = previous.acknowledgedAt;
    }
    return status;
  }

  /**
   * The status after `by` acknowledges it. With an id, only that exact status may be
   * acknowledged, so a button pressed for an old alert cannot silence a newer one. An already
   * acknowledged status is returned unchanged (the same object).
   */
  acknowledge(topic: string, by: string, id?: string): Status {
    const current = this.#statuses.get(topic);
    if (current === undefined) {
      throw new LifecycleError(
        'ACK_NO_STATUS',
        `no status to acknowledge on ${topic}`,
        'acknowledge a topic that has a current status',
      );
    }
    if (id !== undefined && id !== current.id) {
      throw new LifecycleError(
        'ACK_WRONG_ID',
        `status id ${id} is not the current one on ${topic}`,
        'the status changed since it was read; acknowledge the current id or send no id',
      );
    }
    if (current.acknowledged) return current;

    return {
      ...current,
      acknowledged: true,
      acknowledgedBy: by,
      acknowledgedAt: new Date(this.#now()).toISOString(),
    };
  }

  /** Records the status now stored at `topic` and (re)arms its ttl. */
  commit(topic: string, status: Status): void {
    this.#statuses.set(topic, status);
    this.#arm(topic, status);
  }

  /** Forgets a cleared status and its ttl. */
  remove(topic: string): void {
    this.#statuses.delete(topic);
    this.#disarm(topic);
  }

  /**
   * Start-up: takes the stored statuses and arms their ttls. Returns those whose ttl ran out
   * while the broker was down and that are not yet marked stale, for the broker to republish
   * as stale; statuses already marked stale are never returned, so none is marked twice.
   */
  load(entries: Iterable<[string, Status]>): Array<[string, Status]> {
    const expired: Array<[string, Status]> = [];
    const now = this.#now();
    for (const [topic, status] of entries) {
      this.#statuses.set(topic, status);
      const deadline = deadlineOf(status);
      if (deadline !== undefined && deadline <= now) expired.push([topic, status]);
      else this.#arm(topic, status);
    }
    return expired;
  }

  /** Cancels every ttl timer; the book keeps its statuses. */
  close(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  #arm(topic: string, status: Status): void {
    this.#disarm(topic);
    const deadline = deadlineOf(status);
    if (deadline === undefined) return;

    const wait = Math.min(Math.max(0, deadline - this.#now()), MAX_TIMER_MS);
    const timer = setTimeout(() => {
      this.#timers.delete(topic);
      if (this.#statuses.get(topic) !== status) return;
      if (deadline > this.#now()) this.#arm(topic, status);
      else this.emit('stale', topic, status);
    }, wait);
    timer.unref();
    this.#timers.set(topic, timer);
  }

  #disarm(topic: string): void {
    const timer = this.#timers.get(topic);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#timers.delete(topic);
  }
}
