import { EventEmitter } from 'node:events';
import { parseStatus, type Status } from './status-payload.js';
import { parseTopic, statusKey } from './topics.js';
import { severityRank } from './severity.js';

export type TableChange =
  | { kind: 'set'; topic: string; status: Status; previous: Status | undefined }
  | { kind: 'delete'; topic: string; previous: Status };

/**
 * The current statuses as a subscriber to `<prefix>/status/#` sees them: built from retained
 * messages and live updates, keyed by topic. Monitor, bridge and `piminder status` share it.
 * Emits `change` with a TableChange; `ignored` with (topic, reason) for a payload it refuses.
 */
export class StatusTable extends EventEmitter<{
  change: [TableChange];
  ignored: [string, string];
}> {
  readonly #prefix: string;
  readonly #statuses = new Map<string, Status>();

  constructor(prefix: string) {
    super();
    this.#prefix = prefix;
  }

  /** Applies one message from the broker; a zero-length payload removes the status. */
  apply(topic: string, payload: Uint8Array): void {
    const parsed = parseTopic(this.#prefix, topic);
    if (parsed?.kind !== 'status') return;

    if (payload.length === 0) {
      const previous = this.#statuses.get(topic);
      if (previous === undefined) return;
      this.#statuses.delete(topic);
      this.emit('change', { kind: 'delete', topic, previous });
      return;
    }

    let status: Status;
    try {
      status = parseStatus(payload);
    } catch (error) {
      this.emit('ignored', topic, (error as Error).message);
      return;
    }
    const previous = this.#statuses.get(topic);
    this.#statuses.set(topic, status);
    this.emit('change', { kind: 'set', topic, status, previous });
  }

  /** The topics of every status held, e.g. to learn which a replay did not bring back. */
  topics(): string[] {
    return [...this.#statuses.keys()];
  }

  get(topic: string): Status | undefined {
    return this.#statuses.get(topic);
  }

  get size(): number {
    return this.#statuses.size;
  }

  /** Every status, most severe first, then by service and check name. */
  list(): Status[] {
    return [...this.#statuses.values()].sort(
      (a, b) =>
        severityRank(effectiveSeverity(b)) - severityRank(effectiveSeverity(a)) ||
        statusKey(a.service, a.check ?? undefined).localeCompare(
          statusKey(b.service, b.check ?? undefined),
        ),
    );
  }
}

/** A stale status counts at least as minor: silence from a reporter is itself a problem. */
export function effectiveSeverity(status: Status): Status['severity'] {
  if (status.stale && severityRank(status.severity) < severityRank('minor')) return 'minor';
  return status.severity;
}
