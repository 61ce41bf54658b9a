/**
 * Tells when the retained replay after a SUBSCRIBE is complete, and which statuses it did
 * not bring back. MQTT marks no end of the replay [MQTT-3.3.1-6], so it counts as complete
 * after `settleMs` without a retained message. The table is rebuilt by mark and sweep: what
 * the replay brings is applied at once, and only afterwards are statuses it did not bring
 * (cleared while the subscriber was away) removed, so a reader never sees a status vanish and
 * come back. The monitor and the bridge rebuild their tables with it after every reconnect.
 *
 * Marking starts at CONNACK, before the SUBSCRIBE goes out, because a broker may send the
 * first retained messages before its SUBACK [MQTT-3.8.4], and a client library may hand them
 * over before the subscribe callback runs; only the quiet period waits for the SUBACK.
 */
export class ReplayTracker {
  readonly #settleMs: number;
  readonly #onComplete: (missing: string[]) => void;
  #expected = new Set<string>();
  #marking = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(settleMs: number, onComplete: (missing: string[]) => void) {
    this.#settleMs = settleMs;
    this.#onComplete = onComplete;
  }

  /** True from `begin` until the replay completes or is cancelled. */
  get running(): boolean {
    return this.#marking;
  }

  /** At CONNACK, with the topics the table holds from before. */
  begin(knownTopics: Iterable<string>): void {
    this.cancel();
    this.#expected = new Set(knownTopics);
    this.#marking = true;
  }

  /** At SUBACK: from now on, `settleMs` without a retained message ends the replay. */
  subscribed(): void {
    if (this.#marking) this.#arm();
  }

  /** Every message during the replay; only retained ones extend it. */
  saw(topic: string, retained: boolean): void {
    if (!this.#marking) return;
    this.#expected.delete(topic);
    if (retained && this.#timer !== undefined) this.#arm();
  }

  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#marking = false;
  }

  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      const missing = [...this.#expected];
      this.cancel();
      this.#expected.clear();
      this.#onComplete(missing);
    }, this.#settleMs);
  }
}
