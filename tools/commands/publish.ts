import type { Command } from 'commander';
import { isValidName, NAME_RULE } from '../../lib/names.js';
import { SEVERITIES } from '../../lib/severity.js';
import { PayloadError, parseReport } from '../../lib/status-payload.js';
import {
  addConnectionOptions,
  commandLogger,
  connectionFlags,
  runAction,
} from '../client/command-support.js';
import { resolveConnection } from '../client/connection-settings.js';
import { UsageError } from '../client/errors.js';
import type { PublishRequest } from '../client/publish-report.js';

interface PublishOptions {
  severity?: string;
  message?: string;
  check?: string;
  ttl?: string;
  clear?: boolean;
}

/** Seconds as written on the command line: a plain decimal number, sign allowed. */
const SECONDS_PATTERN = /^-?\d+(\.\d+)?$/;

function parseTtl(text: string): number {
  if (!SECONDS_PATTERN.test(text.trim())) {
    throw new UsageError(`--ttl must be a number of seconds, not "${text}"`);
  }
  return Number(text);
}

function checkName(check: string | undefined): string | undefined {
  if (check !== undefined && !isValidName(check)) {
    throw new UsageError(`--check "${check}" is not a valid name: use ${NAME_RULE}`);
  }
  return check;
}

/** Builds the request from the flags and validates it with the broker's own schema. */
export function buildRequest(options: PublishOptions): PublishRequest {
  const check = checkName(options.check);

  if (options.clear === true) {
    const reportFlags = ['severity', 'message', 'ttl'] as const;
    const given = reportFlags.filter((key) => options[key] !== undefined);
    if (given.length > 0) {
      throw new UsageError(`--clear takes no ${given.map((key) => `--${key}`).join(', ')}`);
    }
    return { kind: 'clear', check };
  }

  if (options.severity === undefined) {
    throw new UsageError(`--severity is required: one of ${SEVERITIES.join(', ')}`);
  }
  if (options.message === undefined) {
    throw new UsageError('--message is required (it may be empty: --message "")');
  }

  const draft = {
    severity: options.severity,
    message: options.message,
    ...(options.ttl === undefined ? {} : { ttl: parseTtl(options.ttl) }),
  };
  try {
    return { kind: 'report', report: parseReport(JSON.stringify(draft)), check };
  } catch (error) {
    if (error instanceof PayloadError) throw new UsageError(`invalid report: ${error.message}`);
    throw error;
  }
}

async function publish(options: PublishOptions & Record<string, unknown>): Promise<void> {
  const request = buildRequest(options);
  const settings = resolveConnection(connectionFlags(options));
  const log = commandLogger('piminder-publish');

  // Loaded here, not at start-up: the MQTT client is needed by this command only.
  const { publishRequest } = await import('../client/publish-report.js');
  const result = await publishRequest(settings, request, log);

  // Silent on success so cron mails nothing; a person at a terminal gets a confirmation.
  if (process.stdout.isTTY) {
    const what = request.kind === 'clear' ? 'cleared' : 'published';
    console.log(`${what} ${result.topic} (acknowledged by the broker)`);
  }
}

export function register(program: Command): void {
  const command = program
    .command('publish')
    .description(
      "Send one status report as the certificate's CN and wait for the broker to acknowledge " +
        'it (exit 0 only after PUBACK; 1 refused or failed; 2 wrong usage)',
    )
    .option('--severity <severity>', `one of ${SEVERITIES.join(', ')}`)
    .option('--message <text>', 'what a human should read (may be empty)')
    .option('--check <name>', 'report one check of the service: <prefix>/status/<CN>/<check>')
    .option('--ttl <seconds>', 'mark the status stale when no new report arrives within this')
    .option('--clear', 'remove the status (zero-length retained publish)');
  addConnectionOptions(command);

  command.action(async (options: PublishOptions & Record<string, unknown>) => {
    await runAction(command, () => publish(options));
  });
}
