import { EventEmitter } from 'node:events';
import type { Logger } from '../lib/logger.js';
import type { Status } from '../lib/status-payload.js';
import { StatusTable } from '../lib/status-table.js';
import { planAction } from './actions.js';
import { conditionsOf, type Condition, type LinkState } from './conditions.js';
import type { InputConfig, MonitorConfig, OutputConfig, Pattern } from './config.js';
import type { BrokerConnection } from './connection.js';
import { Debouncer } from './debounce.js';
import { MonitorError } from './errors.js';
import type { GpioBackend } from './gpio/backend.js';
import { LinkWatch } from './link-watch.js';
import { PatternDriver } from './patterns.js';
import { ReplayTracker } from '../lib/replay-tracker.js';

export interface OutputState {
  name: string;
  line: number;
  pattern: Pattern;
  /** One of its conditions holds. */
  active: boolean;
  /** Switched on at this moment (a blinking output alternates while active). */
  on: boolean;
}

/** What the monitor shows and knows, for the view, the log and callers. */
export interface MonitorState {
  link: LinkState;
  conditions: Condition[];
  outputs: OutputState[];
  /** Most severe first. */
  statuses: Status[];
}

/** Shortest time between two recomputations of the outputs while messages stream in, in ms. */
const REFRESH_INTERVAL_MS = 50;

interface Output {
  config: OutputConfig;
  driver: PatternDriver;
}

/**
 * The monitor's core: the status table, the link state and the outputs derived from both,
 * and the buttons. Emits `change` with the new state after every change of what it shows.
 */
export class Monitor extends EventEmitter<{ change: [MonitorState] }> {
  readonly backend: GpioBackend;
  readonly #config: MonitorConfig;
  readonly #log: Logger;
  readonly #connection: BrokerConnection;
  readonly #table: StatusTable;
  readonly #link: LinkWatch;
  readonly #replay: ReplayTracker;
  readonly #outputs: Output[] = [];
  readonly #debouncers: Debouncer[] = [];
  #conditions = new Set<Condition>();
  #refreshPending: NodeJS.Timeout | undefined;
  #lastRefresh = 0;
  #safe = false;
  #closing: Promise<void> | undefined;

  constructor(
    config: MonitorConfig,
    backend: GpioBackend,
    connection: BrokerConnection,
    log: Logger,
  ) {
    super();
    this.#config = config;
    this.backend = backend;
    this.#connection = connection;
    this.#log = log;
    this.#table = new StatusTable(config.topicPrefix);
    this.#link = new LinkWatch(config.linkDownAfter * 1000, (state) => this.#onLink(state));
    this.#replay = new ReplayTracker(config.replaySettleMs, (missing) => this.#onReplay(missing));
  }

  get state(): MonitorState {
    return {
      link: this.#link.state,
      conditions: [...this.#conditions],
      outputs: this.#outputs.map(({ config, driver }) => ({
        name: config.name,
        line: config.line,
        pattern: config.pattern,
        active: driver.active,
        on: driver.level,
      })),
      statuses: this.#table.list(),
    };
  }

  /** Claims every line (outputs off), then starts the link clock and the connection. */
  start(): void {
    try {
      for (const output of this.#config.outputs) this.#openOutput(output);
      for (const input of this.#config.inputs) this.#openInput(input);
    } catch (error) {
      this.safeState();
      throw error;
    }

    this.#table.on('ignored', (topic, reason) => {
      this.#log.warn({ topic, reason }, 'status ignored');
    });
    this.#connection.on('connected', () => this.#replay.begin(this.#table.topics()));
    this.#connection.on('subscribed', () => {
      this.#link.subscribed();
      this.#replay.subscribed();
    });
    this.#connection.on('message', (topic, payload, retained) => {
      this.#table.apply(topic, payload);
      this.#replay.saw(topic, retained);
      this.#scheduleRefresh();
    });
    this.#connection.on('lost', () => {
      this.#replay.cancel();
      this.#link.lost();
    });
    this.#link.start();
    this.#connection.start();
    this.#refresh();
  }

  /** Runs an input's action as a press of its button would. Returns the publishes made. */
  async press(inputName: string): Promise<number> {
    const input = this.#config.inputs.find((entry) => entry.name === inputName);
    if (input === undefined) {
      const known = this.#config.inputs.map((entry) => entry.name).join(', ') || 'none';
      throw new MonitorError('UNKNOWN_INPUT', `no input "${inputName}" (inputs: ${known})`);
    }

    const planned = planAction(input.action, this.#table.list(), this.#config.topicPrefix);
    const fields = { input: input.name, action: input.action, count: planned.length };
    this.#log.info(fields, 'button pressed');
    for (const publish of planned) {
      await this.#connection.publish(publish.topic, publish.payload, publish.retain);
      this.#log.info({ input: input.name, topic: publish.topic }, 'button published');
    }
    return planned.length;
  }

  /**
   * Every output off and every line released, at once and synchronously, so it also works
   * from a crash handler. Runs once; later calls do nothing.
   */
  safeState(): void {
    if (this.#safe) return;
    this.#safe = true;

    this.#link.stop();
    this.#replay.cancel();
    clearTimeout(this.#refreshPending);
    for (const debouncer of this.#debouncers) debouncer.stop();
    for (const { driver } of this.#outputs) driver.stop();
    this.backend.close();
    this.#log.info({ outputs: this.#outputs.length }, 'safe state: outputs off, lines released');
  }

  /** Safe state, then a clean disconnect from the broker. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.safeState();
      await this.#connection.close();
    })();
    return this.#closing;
  }

  #openOutput(config: OutputConfig): void {
    const spec = { label: `output "${config.name}"`, ...pick(config) };
    const line = this.backend.openOutput(spec);
    const driver = new PatternDriver(config, (on) => {
      line.write(on);
      this.#emitState();
    });
    this.#outputs.push({ config, driver });
  }

  #openInput(config: InputConfig): void {
    const debouncer = new Debouncer(config.debounceMs, () => {
      this.press(config.name).catch((error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        this.#log.warn({ input: config.name, reason }, 'button action failed');
      });
    });
    this.#debouncers.push(debouncer);
    const label = `input "${config.name}"`;
    const spec = { label, debounceMs: config.debounceMs, ...pick(config) };
    this.backend.openInput(spec, (pressed) => debouncer.level(pressed));
  }

  #onReplay(missing: string[]): void {
    for (const topic of missing) this.#table.apply(topic, new Uint8Array(0));
    this.#log.info({ statuses: this.#table.size, removed: missing.length }, 'replay complete');
    this.#link.up();
  }

  #onLink(state: LinkState): void {
    this.#log.info({ link: state }, 'link state changed');
    this.#refresh();
  }

  /**
   * One refresh for a burst of messages, at most one per REFRESH_INTERVAL_MS: a replay of
   * thousands of retained statuses arrives in many small reads, and recomputing after each
   * would cost more than the replay itself. A lone message is shown at once.
   */
  #scheduleRefresh(): void {
    if (this.#refreshPending !== undefined) return;
    const wait = Math.max(0, this.#lastRefresh + REFRESH_INTERVAL_MS - Date.now());
    this.#refreshPending = setTimeout(() => this.#refresh(), wait);
  }

  /** Recomputes the conditions and drives every output from them. */
  #refresh(): void {
    clearTimeout(this.#refreshPending);
    this.#refreshPending = undefined;
    this.#lastRefresh = Date.now();
    if (this.#safe) return;

    const held = conditionsOf(this.#table.list(), this.#link.state);
    if (!sameSet(held, this.#conditions)) {
      this.#conditions = held;
      this.#log.info({ conditions: [...held] }, 'conditions changed');
    }
    for (const { config, driver } of this.#outputs) {
      driver.setActive(config.when.some((condition) => held.has(condition)));
    }
    this.#emitState();
  }

  #emitState(): void {
    if (this.listenerCount('change') > 0) this.emit('change', this.state);
  }
}

function pick(config: { name: string; line: number; activeLow: boolean }) {
  return { name: config.name, line: config.line, activeLow: config.activeLow };
}

function sameSet<T>(a: Set<T>, b: Set<T>): boolean {
  return a.size === b.size && [...a].every((item) => b.has(item));
}
