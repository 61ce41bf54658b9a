import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LogLine } from './log-capture.js';
import { waitFor } from './log-capture.js';

const CLI = fileURLToPath(new URL('../../tools/piminder.js', import.meta.url));
const CRASHING = fileURLToPath(new URL('./fixtures/crashing-monitor.ts', import.meta.url));

export interface ChildMonitor {
  process: ChildProcess;
  lines: LogLine[];
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitLine: (what: string, match: (line: LogLine) => boolean) => Promise<LogLine>;
  /** The last `output changed` line of every output, by name. */
  lastChanges: () => Map<string, LogLine>;
  count: (msg: string) => number;
  /** Every logged change of one output, as on/off in order. */
  changesOf: (output: string) => boolean[];
}

/** Writes a monitor config file for a child process. */
export function writeConfig(dir: string, config: object): string {
  const path = join(dir, `monitor-${Math.random().toString(16).slice(2, 8)}.json`);
  writeFileSync(path, JSON.stringify(config));
  return path;
}

function watch(child: ChildProcess): ChildMonitor {
  const lines: LogLine[] = [];
  let stderr = '';
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const part of parts) {
      try {
        lines.push(JSON.parse(part) as LogLine);
      } catch {
        stderr += `(stdout) ${part}\n`;
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );

  return {
    process: child,
    lines,
    stderr: () => stderr,
    exited,
    waitLine: (what, match) => waitFor(what, () => lines.find(match), 45_000),
    lastChanges: () => {
      const last = new Map<string, LogLine>();
      for (const line of lines) {
        if (line.msg === 'output changed') last.set(String(line.output), line);
      }
      return last;
    },
    count: (msg) => lines.filter((line) => line.msg === msg).length,
    changesOf: (output) =>
      lines
        .filter((line) => line.msg === 'output changed' && line.output === output)
        .map((line) => line.on === true),
  };
}

/** `piminder monitor --simulate --config <file>` as a child process. */
export function spawnMonitorCli(configPath: string): ChildMonitor {
  const child = spawn(process.execPath, [CLI, 'monitor', '--simulate', '--config', configPath], {
    env: { PATH: process.env.PATH, PIMINDER_LOG_LEVEL: 'info' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return watch(child);
}

/** The crashing fixture: `exception` or `rejection`. */
export function spawnCrashingMonitor(mode: 'exception' | 'rejection', configPath: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', CRASHING, mode, configPath], {
    env: { PATH: process.env.PATH },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return watch(child);
}

/** Ends a child that a failing test left running. */
export async function ensureStopped(child: ChildMonitor): Promise<void> {
  if (child.process.exitCode === null && child.process.signalCode === null) {
    child.process.kill('SIGKILL');
  }
  await child.exited;
}
