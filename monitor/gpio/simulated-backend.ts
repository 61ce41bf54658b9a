import type { Logger } from '../../lib/logger.js';
import { MonitorError } from '../errors.js';
import type { GpioBackend, InputSpec, LineSpec, OutputLine } from './backend.js';

/** One simulated output as the view shows it. */
export interface SimulatedOutput {
  name: string;
  line: number;
  on: boolean;
  /** The electrical level, 0 or 1: `on` turned by `activeLow`. */
  value: 0 | 1;
}

interface SimulatedInput {
  spec: InputSpec;
  onLevel: (pressed: boolean) => void;
}

/** A simulated press holds the line this much longer than the input's debounce time. */
const HOLD_MARGIN_MS = 20;

/**
 * GPIO without hardware: every output change is one log line with `output`, `line`, `value`
 * (the electrical level) and `on`; button presses come from `press()`, which the command
 * feeds from standard input and SIGUSR1.
 */
export class SimulatedBackend implements GpioBackend {
  readonly kind = 'simulated';
  readonly #log: Logger;
  readonly #outputs = new Map<string, SimulatedOutput & { activeLow: boolean }>();
  readonly #inputs: SimulatedInput[] = [];
  readonly #releaseTimers = new Set<NodeJS.Timeout>();
  #closed = false;

  constructor(log: Logger) {
    this.#log = log.child({ backend: 'simulated' });
  }

  openOutput(spec: LineSpec): OutputLine {
    const output = {
      name: spec.name,
      line: spec.line,
      on: false,
      value: level(false, spec),
      activeLow: spec.activeLow,
    };
    this.#outputs.set(spec.name, output);
    this.#logChange(output);
    return { write: (on) => this.#write(spec.name, on) };
  }

  openInput(spec: InputSpec, onLevel: (pressed: boolean) => void): void {
    this.#inputs.push({ spec, onLevel });
    this.#log.info({ input: spec.name, line: spec.line }, 'simulated input ready');
  }

  /** The inputs by name, in config order. */
  inputNames(): string[] {
    return this.#inputs.map((input) => input.spec.name);
  }

  /** Presses and releases a button, named by its config name or its line number. */
  press(which: string): void {
    const input = this.#inputs.find(
      (entry) => entry.spec.name === which || String(entry.spec.line) === which,
    );
    if (input === undefined) {
      const known = this.inputNames().join(', ') || 'none configured';
      throw new MonitorError(
        'UNKNOWN_INPUT',
        `no input "${which}" (inputs: ${known})`,
        'name an input from the config, or its line number',
      );
    }
    if (this.#closed) return;

    this.#log.info({ input: input.spec.name, line: input.spec.line }, 'simulated press');
    input.onLevel(true);
    const release = setTimeout(() => {
      this.#releaseTimers.delete(release);
      input.onLevel(false);
    }, input.spec.debounceMs + HOLD_MARGIN_MS);
    this.#releaseTimers.add(release);
  }

  outputs(): SimulatedOutput[] {
    return [...this.#outputs.values()].map(({ name, line, on, value }) => ({
      name,
      line,
      on,
      value,
    }));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;

    for (const timer of this.#releaseTimers) clearTimeout(timer);
    this.#releaseTimers.clear();
    for (const output of this.#outputs.values()) this.#write(output.name, false);
    for (const output of this.#outputs.values()) {
      this.#log.info({ output: output.name, line: output.line }, 'line released');
    }
    for (const input of this.#inputs) {
      this.#log.info({ input: input.spec.name, line: input.spec.line }, 'line released');
    }
  }

  #write(name: string, on: boolean): void {
    const output = this.#outputs.get(name);
    // After safe state nothing may switch an output on again, whatever timer fires late.
    if (output === undefined || output.on === on || (this.#closed && on)) return;
    output.on = on;
    output.value = level(on, output);
    this.#logChange(output);
  }

  #logChange(output: SimulatedOutput): void {
    const { name, line, value, on } = output;
    this.#log.info({ output: name, line, value, on }, 'output changed');
  }
}

function level(on: boolean, spec: { activeLow: boolean }): 0 | 1 {
  return on !== spec.activeLow ? 1 : 0;
}
