import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedBackend } from '../../monitor/gpio/simulated-backend.js';
import type { MonitorState } from '../../monitor/monitor.js';
import { attachSimulatedControls } from '../../monitor/simulated-controls.js';
import { LiveView, renderView } from '../../monitor/view.js';
import { captureLog, waitFor } from './log-capture.js';
import { statusOf } from './status-fixtures.js';

const STATE: MonitorState = {
  link: 'up',
  conditions: ['major', 'stale'],
  outputs: [
    { name: 'red', line: 17, pattern: 'blink', active: true, on: false },
    { name: 'green', line: 22, pattern: 'steady', active: false, on: false },
    { name: 'buzzer', line: 23, pattern: 'beep', active: true, on: true },
  ],
  statuses: [
    statusOf({ service: 'backup', severity: 'major', message: 'failed\ntwice' }),
    statusOf({ service: 'nas', check: 'disk', severity: 'ok', stale: true, acknowledged: true }),
  ],
};

const detach: Array<() => void> = [];
afterEach(() => detach.splice(0).forEach((run) => run()));

describe('live view', () => {
  it('shows the link, the conditions, every output and every status', () => {
    expect(renderView(STATE, 80).split('\n')).toEqual([
      'piminder monitor   link: up   conditions: major, stale',
      '',
      'OUTPUT       LINE  PATTERN  STATE',
      'red            17  blink    on (pattern)',
      'green          22  steady   off',
      'buzzer         23  beep     ON',
      '',
      'SEVERITY  FLAGS      STATUS                          MESSAGE',
      'major                backup                          failed twice',
      'minor     ack,stale  nas/disk                        disk full',
      '',
    ]);
  });

  it('cuts long messages to the terminal width', () => {
    const long = { ...STATE, statuses: [statusOf({ service: 'a', message: 'x'.repeat(200) })] };
    const line = renderView(long, 80)
      .split('\n')
      .find((text) => text.startsWith('major'));
    expect(line).toHaveLength(80);
    expect(line?.endsWith('x…')).toBe(true);
  });

  it('redraws on a terminal with the screen cleared, at most ten times a second', async () => {
    const out = new PassThrough();
    let written = '';
    out.on('data', (chunk: Buffer) => (written += chunk.toString()));
    const view = new LiveView(out);
    view.show(STATE);
    view.show({ ...STATE, link: 'down' });
    view.show({ ...STATE, link: 'syncing' });
    expect(written.split('\u001b[H\u001b[2J')).toHaveLength(2);

    await waitFor('the trailing redraw', () => written.includes('link: syncing'));
    expect(written).not.toContain('link: down');

    view.show({ ...STATE, link: 'up', conditions: [] });
    view.show({ ...STATE, link: 'down' });
    view.flush();
    expect(written.split('\u001b[H\u001b[2J').at(-1)).toContain('link: down');
    view.stop();
  });
});

describe('simulated controls', () => {
  it('presses inputs named on stdin lines and refuses what it does not understand', async () => {
    const { log, lines } = captureLog();
    const backend = new SimulatedBackend(log);
    const presses: string[] = [];
    for (const [name, line] of [
      ['ack', 5],
      ['clear', 6],
    ] as const) {
      const spec = { label: name, name, line, activeLow: true, debounceMs: 0 };
      backend.openInput(spec, (pressed) => pressed && presses.push(name));
    }
    const stdin = new PassThrough();
    detach.push(attachSimulatedControls(backend, stdin, log));

    stdin.write('press ack\n6\n\npress\npress ack now\nreset\n');
    await waitFor('two presses and two refusals', () =>
      presses.length === 2 && lines.filter((l) => l.level === 40).length === 3 ? true : undefined,
    );
    expect(presses).toEqual(['ack', 'clear']);
    expect(lines.filter((l) => l.level === 40).map((l) => l.msg)).toEqual([
      'simulated input not understood: use "press <input>"',
      'simulated input not understood: use "press <input>"',
      'simulated press refused',
    ]);

    process.emit('SIGUSR1', 'SIGUSR1');
    expect(presses).toEqual(['ack', 'clear', 'ack']);
    backend.close();
  });
});
