import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The installed entry point, run as a real child process. */
export const CLI = fileURLToPath(new URL('../../tools/piminder.js', import.meta.url));

/** Generous: tsx compiles the sources when a cold child starts on a busy machine. */
const RUN_TIMEOUT_MS = 60_000;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** The child's whole environment; PATH is added when missing. */
  env?: NodeJS.ProcessEnv;
}

function collect(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`piminder did not finish in ${RUN_TIMEOUT_MS} ms: ${stderr}`));
    }, RUN_TIMEOUT_MS);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/**
 * Runs `node tools/piminder.js <args>` with stdin closed, no terminal and only the given
 * environment, and waits for it to exit.
 */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const env = { PATH: process.env.PATH, ...options.env };
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin?.end();
  return collect(child);
}

/**
 * Runs the command the way cron does: `env -i` with PATH and the given variables only, `node`
 * found on PATH, no terminal, stdin closed.
 */
export function runLikeCron(args: string[], variables: Record<string, string>): Promise<CliResult> {
  const assignments = Object.entries({
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...variables,
  }).map(([name, value]) => `${name}=${value}`);
  const child = spawn('env', ['-i', ...assignments, 'node', CLI, ...args], {
    env: {},
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin?.end();
  return collect(child);
}

/** A long-running child (`status --watch`) whose output is read while it runs. */
export interface RunningCli {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Polls until stdout satisfies the test, with a generous deadline. */
  waitForOutput: (test: (stdout: string) => boolean, what: string) => Promise<void>;
  /** Sends the signal and waits for the exit. */
  stop: (signal?: NodeJS.Signals) => Promise<CliResult>;
  /** Waits for the child to end by itself. */
  exited: () => Promise<CliResult>;
}

const WAIT_DEADLINE_MS = 45_000;
const POLL_MS = 50;

export function startCli(args: string[], options: CliOptions = {}): RunningCli {
  return startProcess(process.execPath, [CLI, ...args], options.env);
}

/** Any long-running child, e.g. the CLI under `script` for a pseudo-terminal. */
export function startProcess(file: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  const env = { PATH: process.env.PATH, ...extraEnv };
  const child = spawn(file, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin?.end();
  const result = collect(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

  const waitForOutput = async (test: (text: string) => boolean, what: string) => {
    const deadline = Date.now() + WAIT_DEADLINE_MS;
    while (!test(stdout)) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`no ${what} from piminder; stdout: ${stdout}; stderr: ${stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  };
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return result;
  };
  const running: RunningCli = {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    waitForOutput,
    stop,
    exited: () => result,
  };
  return running;
}

/** Polls a condition until it holds, failing with `what` after a generous deadline. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string) {
  const deadline = Date.now() + WAIT_DEADLINE_MS;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
