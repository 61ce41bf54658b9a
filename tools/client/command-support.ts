import type { Command } from 'commander';
import { createLogger, type Logger } from '../../lib/logger.js';
import { PayloadError } from '../../lib/status-payload.js';
import {
  DEFAULT_TIMEOUT_SECONDS,
  type ConnectionConfig,
  type ConnectionFlags,
} from './connection-settings.js';
import { UsageError } from './errors.js';

/** The connection flags both commands share; each also reads its PIMINDER_* variable. */
export function addConnectionOptions(command: Command, defaultIdentity?: string): Command {
  const identityDefault = defaultIdentity === undefined ? '' : ` (default: ${defaultIdentity})`;
  return command
    .option('--url <url>', 'broker address, mqtts://host[:port] [PIMINDER_URL]')
    .option(
      '--identity <name>',
      `use <certs>/clients/<name>.crt and .key${identityDefault} [PIMINDER_IDENTITY]`,
    )
    .option(
      '--certs <dir>',
      'certificate folder of "piminder certs" (default: certs) [PIMINDER_CERTS]',
    )
    .option('--cert <file>', 'client certificate, instead of --identity [PIMINDER_CERT]')
    .option('--key <file>', 'private key of --cert [PIMINDER_KEY]')
    .option('--ca <file>', 'CA certificate to trust (default: <certs>/ca.crt) [PIMINDER_CA]')
    .option('--servername <name>', "name the broker's certificate must carry [PIMINDER_SERVERNAME]")
    .option(
      '--topic-prefix <name>',
      'first topic level (default: piminder) [PIMINDER_TOPIC_PREFIX]',
    )
    .option(
      '--timeout <seconds>',
      `give up after this long (default: ${DEFAULT_TIMEOUT_SECONDS}) [PIMINDER_TIMEOUT]`,
    );
}

const CONNECTION_KEYS: Array<keyof ConnectionConfig> = [
  'url',
  'identity',
  'certs',
  'cert',
  'key',
  'ca',
  'servername',
  'topicPrefix',
  'timeout',
];

/** The connection flags out of commander's parsed options. */
export function connectionFlags(options: Record<string, unknown>): ConnectionFlags {
  const flags: ConnectionFlags = {};
  for (const key of CONNECTION_KEYS) {
    const value = options[key];
    if (typeof value === 'string') flags[key] = value;
  }
  return flags;
}

/**
 * Runs a command's action; a usage error (a wrong option or report) ends with exit code 2
 * through commander, everything else goes to the `piminder` error handler (exit code 1).
 */
export async function runAction(command: Command, action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (error instanceof UsageError || error instanceof PayloadError) {
      command.error(`piminder ${command.name()}: ${error.toLine()}`, {
        exitCode: 2,
        code: error.code,
      });
    }
    throw error;
  }
}

/** Diagnostics go to stderr so stdout stays clean for tables and JSON; quiet by default. */
export function commandLogger(name: string): Logger {
  return createLogger({
    name,
    level: process.env.PIMINDER_LOG_LEVEL ?? 'warn',
    destination: process.stderr,
  });
}
