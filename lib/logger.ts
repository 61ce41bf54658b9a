import { createRequire } from 'node:module';
import pino, { type Logger, type LoggerOptions } from 'pino';
import type { PrettyOptions } from 'pino-pretty';

export type { Logger } from 'pino';

export interface LoggerSettings {
  /** Part name, the `name` field of every line. */
  name: string;
  level?: string | undefined;
  /** Human-readable lines; defaults to true when stdout is a terminal. */
  pretty?: boolean | undefined;
  /** Where lines go; defaults to stdout. Tests pass a stream to read them. */
  destination?: NodeJS.WritableStream | undefined;
}

/** Loaded only for a terminal: a daemon writing JSON lines never pays for its code. */
function prettyStream(options: PrettyOptions): NodeJS.WritableStream {
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  return pretty(options);
}

/** Fields that must never reach a log line, whatever a caller passes. */
const REDACT = ['key', 'password', 'passphrase', 'authorization', '*.key', '*.password'];

/**
 * The root logger of a part: JSON lines, or coloured text in a terminal. Writes are
 * synchronous so that the last lines before a crash or a signal are not lost.
 */
export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    name: settings.name,
    level: settings.level ?? process.env.PIMINDER_LOG_LEVEL ?? 'info',
    redact: { paths: REDACT, censor: '[redacted]' },
  };

  const human = settings.pretty ?? process.stdout.isTTY === true;
  if (settings.destination) return pino(options, settings.destination);
  if (human) return pino(options, prettyStream({ sync: true, translateTime: 'SYS:HH:MM:ss' }));
  return pino(options, pino.destination({ dest: 1, sync: true }));
}
