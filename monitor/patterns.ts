import { DEFAULT_BEEP_MS, DEFAULT_PERIOD_MS, type OutputConfig } from './config.js';

/** Switches one output on or off; the backend applies `activeLow`. */
export type LevelWriter = (on: boolean) => void;

/**
 * Drives one output through its pattern while its conditions hold. The line is switched on
 * at once when the output becomes active, so the first change never waits for a timer, and
 * every timer is cancelled when it becomes inactive or stops.
 */
export class PatternDriver {
  readonly #config: OutputConfig;
  readonly #write: LevelWriter;
  #active = false;
  #level: boolean | undefined;
  #timers: NodeJS.Timeout[] = [];
  #burstEnd: NodeJS.Timeout | undefined;

  constructor(config: OutputConfig, write: LevelWriter) {
    this.#config = config;
    this.#write = write;
  }

  get active(): boolean {
    return this.#active;
  }

  /** Whether the line is switched on at this moment (a blinking output alternates). */
  get level(): boolean {
    return this.#level === true;
  }

  setActive(active: boolean): void {
    if (active === this.#active) return;

    this.#active = active;
    this.#cancelTimers();
    if (active) this.#start();
    else this.#set(false);
  }

  /** Stops the pattern and switches the output off. */
  stop(): void {
    this.#active = false;
    this.#cancelTimers();
    this.#set(false);
  }

  #start(): void {
    const pattern = this.#config.pattern;
    switch (pattern) {
      case 'steady':
        this.#set(true);
        return;
      case 'blink':
        this.#blink(this.#config.periodMs ?? DEFAULT_PERIOD_MS.blink);
        return;
      case 'beep':
        this.#beep(this.#config.periodMs ?? DEFAULT_PERIOD_MS.beep);
        return;
      default:
        pattern satisfies never;
    }
  }

  #blink(periodMs: number): void {
    this.#set(true);
    const half = Math.max(1, Math.round(periodMs / 2));
    this.#timers.push(setInterval(() => this.#set(!this.level), half));
  }

  /** Short bursts: on for `beepMs`, then quiet for the rest of the period. */
  #beep(periodMs: number): void {
    const burstMs = this.#config.beepMs ?? DEFAULT_BEEP_MS;
    const burst = () => {
      this.#set(true);
      clearTimeout(this.#burstEnd);
      this.#burstEnd = setTimeout(() => this.#set(false), burstMs);
    };
    burst();
    this.#timers.push(setInterval(burst, periodMs));
  }

  #set(level: boolean): void {
    if (this.#level === level) return;
    this.#level = level;
    this.#write(level);
  }

  #cancelTimers(): void {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    clearTimeout(this.#burstEnd);
    this.#burstEnd = undefined;
  }
}
