import type { LinkState } from './conditions.js';

/**
 * The link state over time. It starts `syncing`; it is `up` only while subscribed with the
 * retained replay received; `down` once it has not been up for `linkDownAfterMs`, counted
 * from start-up or from the moment the link was lost. A refused TLS handshake never makes it
 * up, so it turns `down` on time as well.
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

  /** The replay after a connect has arrived: the table is current. */
  up(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#set('up');
  }

  /** The connection ended; the clock runs from now unless it already runs. */
  lost(): void {
    if (this.#state !== 'up') return;
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
