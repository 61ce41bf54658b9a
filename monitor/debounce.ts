/**
 * Turns raw level changes of a button into presses. Contacts bounce for a few milliseconds,
 * so a press counts only once the line has stayed pressed for `debounceMs`; it fires once per
 * press, and the button must be released before it can fire again.
 */
export class Debouncer {
  readonly #debounceMs: number;
  readonly #onPress: () => void;
  #pending: NodeJS.Timeout | undefined;
  #latched = false;

  constructor(debounceMs: number, onPress: () => void) {
    this.#debounceMs = debounceMs;
    this.#onPress = onPress;
  }

  /** Feeds one level the line reported: true while pressed. */
  level(pressed: boolean): void {
    clearTimeout(this.#pending);
    this.#pending = undefined;

    if (!pressed) {
      this.#latched = false;
      return;
    }
    if (this.#latched) return;

    if (this.#debounceMs === 0) {
      this.#fire();
      return;
    }
    this.#pending = setTimeout(() => this.#fire(), this.#debounceMs);
  }

  stop(): void {
    clearTimeout(this.#pending);
    this.#pending = undefined;
  }

  #fire(): void {
    this.#pending = undefined;
    this.#latched = true;
    this.#onPress();
  }
}
