import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import {
  brokerConfigSchema,
  startBroker,
  type BrokerConfig,
  type RunningBroker,
} from '../../broker/index.js';
import { createLogger, type Logger } from '../../lib/logger.js';

export type { RunningBroker } from '../../broker/index.js';

/** Settings a test may change; certs and data folders are required, the rest has defaults. */
export type TestBrokerOptions = {
  certsDir: string;
  dataDir: string;
  logger?: Logger;
} & Partial<Omit<BrokerConfig, 'certs' | 'data' | 'limits'>> & {
    limits?: Partial<BrokerConfig['limits']>;
  };

/** A logger that drops every line; tests that read log lines pass their own. */
export function quietLogger(): Logger {
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  return createLogger({ name: 'broker', level: 'silent', destination: sink });
}

/** The broker in this process, on 127.0.0.1 and a free port, logging nothing. */
export async function startTestBroker(options: TestBrokerOptions): Promise<RunningBroker> {
  const { certsDir, dataDir, logger, limits, ...overrides } = options;
  const config = brokerConfigSchema.parse({
    certs: certsDir,
    data: dataDir,
    host: '127.0.0.1',
    port: 0,
    ...overrides,
    limits: limits ?? {},
  });
  return startBroker(config, { logger: logger ?? quietLogger() });
}

export interface SpawnedBroker {
  port: number;
  process: ChildProcess;
  /** Sends a signal (SIGTERM by default) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitExit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Every log line the process wrote so far, parsed. */
  lines: Array<Record<string, unknown>>;
}

const CLI = fileURLToPath(new URL('../../tools/piminder.js', import.meta.url));

/** Generous: tsx compiles the sources on the first start of a cold child. */
const READY_TIMEOUT_MS = 45_000;

/**
 * `node tools/piminder.js broker` as a child process, for tests about processes (SIGKILL,
 * signals, exit codes). Resolves once its "broker ready" line names the port.
 */
export async function spawnBroker(options: {
  certsDir: string;
  dataDir: string;
  port?: number;
  env?: NodeJS.ProcessEnv;
  args?: string[];
}): Promise<SpawnedBroker> {
  const args = [CLI, 'broker', '--certs', options.certsDir, '--data', options.dataDir];
  args.push('--host', '127.0.0.1', '--port', String(options.port ?? 0), ...(options.args ?? []));
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  const lines: Array<Record<string, unknown>> = [];
  let stderr = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

  const port = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(
      () => reject(new Error(`broker not ready: ${stderr}`)),
      READY_TIMEOUT_MS,
    );
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const part of parts) {
        const line = parseLine(part);
        if (line === undefined) continue;
        lines.push(line);
        if (line.msg === 'broker ready' && typeof line.port === 'number') {
          clearTimeout(timer);
          resolve(line.port);
        }
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`broker exited (${code ?? signal}) before ready: ${stderr}`));
    });
  });

  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return { port, process: child, stop, waitExit: () => exited, lines };
}

function parseLine(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
