export interface FailureThrottleOptions {
  /** Failures from one address before its attempts are slowed down. */
  threshold: number;
  /** First delay once past the threshold, in ms; doubles with each further failure. */
  baseMs: number;
  maxMs: number;
  /** Failures older than this, in ms, are forgotten. */
  windowMs: number;
  now?: () => number;
}

/** Addresses remembered at most; the oldest are dropped first, so a flood cannot exhaust memory. */
const MAX_ADDRESSES = 10_000;

interface Record {
  failures: number;
  last: number;
}

/**
 * Slows down guessing: after `threshold` failed logins from one address, every further attempt
 * from it waits before it is checked, twice as long after each new failure, up to `maxMs`.
 * A success from the address forgets its failures.
 */
export class FailureThrottle {
  readonly #options: FailureThrottleOptions;
  readonly #now: () => number;
  readonly #byAddress = new Map<string, Record>();

  constructor(options: FailureThrottleOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** How long, in ms, to hold an attempt from this address before checking it. */
  delayFor(address: string): number {
    const record = this.#current(address);
    if (record === undefined) return 0;

    const excess = record.failures - this.#options.threshold;
    if (excess < 0) return 0;
    return Math.min(this.#options.baseMs * 2 ** Math.min(excess, 30), this.#options.maxMs);
  }

  recordFailure(address: string): void {
    const failures = (this.#current(address)?.failures ?? 0) + 1;

    // Re-inserting moves the address to the end of the map's order: the oldest come first.
    this.#byAddress.delete(address);
    this.#byAddress.set(address, { failures, last: this.#now() });
    if (this.#byAddress.size > MAX_ADDRESSES) {
      const oldest = this.#byAddress.keys().next().value;
      if (oldest !== undefined) this.#byAddress.delete(oldest);
    }
  }

  recordSuccess(address: string): void {
    this.#byAddress.delete(address);
  }

  #current(address: string): Record | undefined {
    const record = this.#byAddress.get(address);
    if (record === undefined) return undefined;
    if (this.#now() - record.last > this.#options.windowMs) {
      this.#byAddress.delete(address);
      return undefined;
    }
    return record;
  }
}
