import type { LinkState } from './conditions.js';

/**
 * The link state over time. It starts `syncing`; it is `up` only while subscribed with the
 * retained replay received; `down` once there has been no subscribed connection for
 * `linkDownAfterMs`, counted from start-up or from the moment the link was lost. A refused
 * TLS handshake never subscribes, so it turns `down` on time as well. Once `down`, it stays
 * so until the replay after the next connect is complete.
 */
export class LinkWatch {
  readonly #linkDownAfterMs: number;
  readonly #onChange: (state: LinkState) => void;
  #state: LinkState = 'syncing';
  #timer: NodeJS.Timeout | undefined;

  constructor(linkDownAfterMs: number, onChange: (state: LinkState) => void) {
    this.#linkDownAfterMs = linkDownAfterMs;
    this.#onChange = onChange;
  }

  get state(): LinkState {
    return this.#state;
  }

  start(): void {
    this.#arm();
  }

  /** Subscribed again: the clock stops while the retained replay arrives. */
  subscribed(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The replay after a connect has arrived: the table is current. */
  up(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#set('up');
  }

  /** The connection ended; the clock runs from now unless it already runs. */
  lost(): void {
    if (this.#state === 'down' || this.#timer !== undefined) return;
    this.#set('syncing');
    this.#arm();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#set('down');
    }, this.#linkDownAfterMs);
  }

  #set(state: LinkState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#onChange(state);
  }
}
