import type { Status } from '../lib/status-payload.js';
import type { QoS, RetainedStore } from './retained-store.js';
import type { StatusBook } from './status-book.js';

/**
 * The one place status changes are committed: durably into the retained store, then into
 * the status book (the broker's in-memory set of current statuses and their ttl timers).
 * Payloads written here are remembered so that Aedes' own retained write of the same packet,
 * which follows later in its publish pipeline, is not done twice.
 */
export class StatusWriter {
  readonly #retained: RetainedStore;
  readonly #book: StatusBook;
  readonly #stored = new WeakSet<Buffer>();

  constructor(retained: RetainedStore, book: StatusBook) {
    this.#retained = retained;
    this.#book = book;
  }

  /** Stores a status; resolves with the payload to deliver once it is on disk. */
  async put(topic: string, status: Status, qos: QoS): Promise<Buffer> {
    const payload = Buffer.from(JSON.stringify(status), 'utf8');
    await this.#retained.write(topic, payload, qos);
    this.#book.commit(topic, status);
    this.#stored.add(payload);
    return payload;
  }

  /** Removes a status; resolves with the zero-length payload to deliver. */
  async clear(topic: string): Promise<Buffer> {
    const payload = Buffer.alloc(0);
    await this.#retained.write(topic, payload, 0);
    this.#book.remove(topic);
    this.#stored.add(payload);
    return payload;
  }

  /** True for a payload this writer already stored. */
  isStored(payload: Buffer): boolean {
    return this.#stored.has(payload);
  }
}
