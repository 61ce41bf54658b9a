/**
 * Runs the changes to one topic one after another, so that a report, an acknowledgement and
 * a ttl expiry of the same status never read the same old state and overwrite each other.
 * Different topics run concurrently (and their disk writes share group commits).
 */
export class TopicQueue {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(topic: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(topic) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(noop, noop);
    this.#tails.set(topic, tail);
    void tail.then(() => {
      if (this.#tails.get(topic) === tail) this.#tails.delete(topic);
    });
    return result;
  }

  /** Resolves when every task queued so far has finished. */
  async idle(): Promise<void> {
    while (this.#tails.size > 0) await Promise.all(this.#tails.values());
  }
}

function noop(): void {}
