import { spawn, type ChildProcess } from 'node:child_process';
import { BenchError } from './errors.js';

/** How long a broker may take to say it is ready; tsx compiles cold sources first. */
const READY_TIMEOUT_MS = 45_000;

/** How long a broker may take to exit after SIGTERM before it is killed. */
const STOP_GRACE_MS = 5_000;

/** Output lines kept for the error message when a broker fails. */
const KEPT_LINES = 40;

export interface ExitResult {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A broker running as a child process of the benchmark. */
export interface BrokerProcess {
  readonly pid: number;
  readonly port: number;
  /** The last lines it wrote, stdout and stderr mixed, for diagnostics. */
  recentOutput(): string[];
  /** SIGTERM, then SIGKILL after a grace period; resolves once it has exited. */
  stop(): Promise<ExitResult>;
}

export interface LaunchSpec {
  /** Name used in messages: "piminder", "mosquitto", "aedes". */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Returns the listening port once a line says the broker is ready. */
  readyPort: (line: string) => number | undefined;
}

/** Every broker still running, so an interrupted run can stop them all. */
const running = new Set<ChildProcess>();

function stopChild(child: ChildProcess, exited: Promise<ExitResult>): Promise<ExitResult> {
  if (child.exitCode !== null || child.signalCode !== null) return exited;
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  return exited.finally(() => clearTimeout(killer));
}

/** Starts a broker and resolves once it reports its port; rejects if it exits first. */
export async function launchBroker(spec: LaunchSpec): Promise<BrokerProcess> {
  const child = spawn(spec.command, spec.args, {
    env: spec.env ?? { PATH: process.env.PATH },
    ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const exited = new Promise<ExitResult>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });

  const recent: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    const fail = (message: string, problem: 'BROKER_START' | 'BROKER_EXIT') => {
      const output = recent.slice(-10).join('\n');
      reject(new BenchError(problem, `${spec.name}: ${message}\n${output}`));
    };
    const timer = setTimeout(() => fail('not ready in time', 'BROKER_START'), READY_TIMEOUT_MS);
    const onLine = (line: string) => {
      recent.push(line);
      if (recent.length > KEPT_LINES) recent.shift();
      const ready = spec.readyPort(line);
      if (ready !== undefined) {
        clearTimeout(timer);
        resolve(ready);
      }
    };
    readLines(child.stdout, onLine);
    readLines(child.stderr, onLine);
    child.once('error', (error) => {
      clearTimeout(timer);
      fail(`cannot start ${spec.command}: ${error.message}`, 'BROKER_START');
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      fail(`exited (${code ?? signal}) before it was ready`, 'BROKER_EXIT');
    });
  }).catch(async (error: unknown) => {
    await stopChild(child, exited);
    throw error;
  });

  if (child.pid === undefined) throw new BenchError('NO_PROCESS', `${spec.name} has no pid`);
  return {
    pid: child.pid,
    port,
    recentOutput: () => [...recent],
    stop: () => stopChild(child, exited),
  };
}

/** Splits a stream into lines; the stream is always drained so the broker never blocks. */
function readLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  let buffered = '';
  stream?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const part of parts) onLine(part);
  });
}

/** Kills every broker still running, at once; for process exit after an interruption. */
export function killAllBrokers(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** Stops every broker still running, politely first. */
export async function stopAllBrokers(): Promise<void> {
  const pending = [...running].map(
    (child) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS).unref();
      }),
  );
  await Promise.all(pending);
}
