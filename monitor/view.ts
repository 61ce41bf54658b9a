import { statusKey } from '../lib/topics.js';
import { effectiveSeverity } from '../lib/status-table.js';
import type { MonitorState } from './monitor.js';

/** ANSI: cursor home, clear the screen. */
const CLEAR = '\u001b[H\u001b[2J';

/** At most this many redraws per second, however fast blink patterns toggle. */
const REDRAWS_PER_SECOND = 10;

function cut(text: string, width: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length <= width ? flat : `${flat.slice(0, Math.max(0, width - 1))}…`;
}

/** The live view as plain text: link, conditions, outputs and the status table. */
export function renderView(state: MonitorState, width = 100): string {
  const lines = [
    `piminder monitor   link: ${state.link}   conditions: ${state.conditions.join(', ') || '-'}`,
    '',
    'OUTPUT       LINE  PATTERN  STATE',
  ];
  for (const output of state.outputs) {
    const shown = output.on ? 'ON' : output.active ? 'on (pattern)' : 'off';
    lines.push(
      `${output.name.padEnd(12)} ${String(output.line).padStart(4)}  ` +
        `${output.pattern.padEnd(7)}  ${shown}`,
    );
  }

  lines.push('', 'SEVERITY  FLAGS      STATUS                          MESSAGE');
  if (state.statuses.length === 0) lines.push('(no statuses)');
  for (const status of state.statuses) {
    const flags = [status.acknowledged ? 'ack' : '', status.stale ? 'stale' : '']
      .filter(Boolean)
      .join(',');
    const key = statusKey(status.service, status.check ?? undefined);
    const severity = effectiveSeverity(status).padEnd(8);
    const head = `${severity}  ${flags.padEnd(9)}  ${cut(key, 30).padEnd(30)}  `;
    lines.push(head + cut(status.message, Math.max(10, width - head.length)));
  }
  return `${lines.join('\n')}\n`;
}

/** Redraws the view on a terminal whenever the state changes, throttled. */
export class LiveView {
  readonly #out: NodeJS.WritableStream & { columns?: number };
  #pending: MonitorState | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(out: NodeJS.WritableStream & { columns?: number }) {
    this.#out = out;
  }

  show(state: MonitorState): void {
    this.#pending = state;
    if (this.#timer !== undefined) return;
    this.#draw();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#pending !== undefined) this.show(this.#pending);
    }, 1000 / REDRAWS_PER_SECOND);
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Draws a pending state now: the last frame before exit must show the outputs off. */
  flush(): void {
    this.stop();
    this.#draw();
  }

  #draw(): void {
    const state = this.#pending;
    this.#pending = undefined;
    if (state === undefined) return;
    this.#out.write(CLEAR + renderView(state, this.#out.columns ?? 100));
  }
}
