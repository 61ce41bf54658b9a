/**
 * Tells when the retained replay after a SUBSCRIBE is complete, and which statuses it did
 * not bring back. MQTT marks no end of the replay [MQTT-3.3.1-6], so it counts as complete
 * after `settleMs` without a retained message. The table is rebuilt by mark and sweep: what
 * the replay brings is applied at once, and only afterwards are statuses it did not bring
 * (cleared while the subscriber was away) removed, so a reader never sees a status vanish and
 * come back. The monitor and the bridge rebuild their tables with it after every reconnect.
 */
export class ReplayTracker {
  readonly #settleMs: number;
  readonly #onComplete: (missing: string[]) => void;
  #expected = new Set<string>();
  #timer: NodeJS.Timeout | undefined;

  constructor(settleMs: number, onComplete: (missing: string[]) => void) {
    this.#settleMs = settleMs;
    this.#onComplete = onComplete;
  }

  get running(): boolean {
    return this.#timer !== undefined;
  }

  /** Starts after SUBACK with the topics the table holds from before. */
  begin(knownTopics: Iterable<string>): void {
    this.#expected = new Set(knownTopics);
    this.#arm();
  }

  /** Every message during the replay; only retained ones extend it. */
  saw(topic: string, retained: boolean): void {
    if (!this.running) return;
    this.#expected.delete(topic);
    if (retained) this.#arm();
  }

  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const missing = [...this.#expected];
      this.#expected.clear();
      this.#onComplete(missing);
    }, this.#settleMs);
  }
}
