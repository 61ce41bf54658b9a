import { afterEach, describe, expect, it, vi } from 'vitest';
import { installProcessGuards, type ProcessGuards } from '../../monitor/process-guards.js';
import { captureLog, waitFor } from './log-capture.js';

let guards: ProcessGuards | undefined;
afterEach(() => {
  guards?.detach();
  guards = undefined;
});

function target() {
  return { safeState: vi.fn(), close: vi.fn(async () => undefined) };
}

describe('process guards', () => {
  it('goes to safe state once for two quick signals and exits 0 once', async () => {
    const { log, lines } = captureLog();
    const exit = vi.fn();
    guards = installProcessGuards(log, exit);
    const monitor = target();
    guards.attach(monitor);

    process.emit('SIGINT', 'SIGINT');
    process.emit('SIGINT', 'SIGINT');
    await waitFor('the exit', () => exit.mock.calls.length > 0);

    expect(monitor.safeState).toHaveBeenCalledTimes(1);
    expect(monitor.close).toHaveBeenCalledTimes(1);
    expect(exit.mock.calls).toEqual([[0]]);
    expect(lines.map((line) => line.msg)).toEqual(['stopping', 'already stopping']);
  });

  it('stops a monitor attached after a signal that came during start-up', async () => {
    const { log } = captureLog();
    const exit = vi.fn();
    guards = installProcessGuards(log, exit);
    process.emit('SIGTERM', 'SIGTERM');
    expect(exit).not.toHaveBeenCalled();

    const monitor = target();
    guards.attach(monitor);
    await waitFor('the exit', () => exit.mock.calls.length > 0);
    expect(monitor.safeState).toHaveBeenCalledTimes(1);
    expect(exit.mock.calls).toEqual([[0]]);
  });

  it('puts the monitor in safe state and exits 1 on an uncaught exception', () => {
    const { log, lines } = captureLog();
    const exit = vi.fn();
    guards = installProcessGuards(log, exit);
    const monitor = target();
    guards.attach(monitor);

    process.emit('uncaughtException', new Error('boom'));
    expect(monitor.safeState).toHaveBeenCalledTimes(1);
    expect(exit.mock.calls).toEqual([[1]]);
    expect(lines[0]).toMatchObject({ msg: 'monitor crashed', origin: 'uncaughtException' });
    expect(lines[0]?.err).toMatchObject({ message: 'boom' });
  });

  it('names the whole process when it guards every part', () => {
    const { log, lines } = captureLog();
    const exit = vi.fn();
    guards = installProcessGuards(log, exit, 'piminder');
    guards.attach(target());

    process.emit('unhandledRejection', new Error('bridge failed'), Promise.resolve());
    expect(exit.mock.calls).toEqual([[1]]);
    expect(lines[0]).toMatchObject({ msg: 'piminder crashed', origin: 'unhandledRejection' });
  });

  it('exits 1 when the clean stop fails, after the safe state', async () => {
    const { log } = captureLog();
    const exit = vi.fn();
    guards = installProcessGuards(log, exit);
    const close = vi.fn(async () => Promise.reject(new Error('disconnect failed')));
    const monitor = { safeState: vi.fn(), close };
    guards.attach(monitor);
    process.emit('SIGTERM', 'SIGTERM');
    await waitFor('the exit', () => exit.mock.calls.length > 0);
    expect(monitor.safeState).toHaveBeenCalledTimes(1);
    expect(exit.mock.calls).toEqual([[1]]);
  });
});
