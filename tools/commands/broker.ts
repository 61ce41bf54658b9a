import type { Command } from 'commander';
import { loadConfig } from '../../lib/config.js';
import { brokerConfigSchema, startBroker } from '../../broker/index.js';

interface BrokerFlags {
  config?: string;
  certs?: string;
  data?: string;
  host?: string;
  port?: string;
  durability?: string;
  topicPrefix?: string;
  logLevel?: string;
}

/** Flags by key path, as loadConfig takes them; absent flags leave file and environment be. */
function flagValues(flags: BrokerFlags): Record<string, unknown> {
  const values: Record<string, unknown> = {
    certs: flags.certs,
    data: flags.data,
    host: flags.host,
    port: flags.port,
    durability: flags.durability,
    topicPrefix: flags.topicPrefix,
    logLevel: flags.logLevel,
  };
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
}

/** Runs until SIGTERM or SIGINT, then stops accepting, disconnects and closes the database. */
async function runBroker(flags: BrokerFlags): Promise<void> {
  const config = loadConfig(brokerConfigSchema, { file: flags.config, flags: flagValues(flags) });

  // Listening before the start: a signal that arrives right after the ready line is a stop.
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  const broker = await startBroker(config);

  await stopped;
  await broker.close();
  process.exit(0);
}

export function register(program: Command): void {
  program
    .command('broker')
    .description('Run the MQTT broker: mutual TLS, access rules, durable retained statuses')
    .option('--config <file>', 'JSON config file (keys as below, plus "limits")')
    .option('--certs <dir>', 'certificate folder from "piminder certs" (PIMINDER_CERTS)')
    .option('--data <dir>', 'LevelDB folder (PIMINDER_DATA)')
    .option('--host <address>', 'address to listen on (PIMINDER_HOST, default 127.0.0.1)')
    .option('--port <number>', 'TLS port, 0 for any free one (PIMINDER_PORT, default 8883)')
    .option('--durability <mode>', '"fsync" (default) or "os" (PIMINDER_DURABILITY)')
    .option('--topic-prefix <prefix>', 'first topic level (PIMINDER_TOPIC_PREFIX)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug (PIMINDER_LOG_LEVEL)')
    .addHelpText(
      'after',
      '\nEvery key can also be set in the config file or as PIMINDER_<KEY>, e.g.\n' +
        'PIMINDER_LIMITS_MAX_PACKET_SIZE=65536. It refuses to start, with one line and exit\n' +
        'code 1, when a certificate or key is missing, unreadable, exposed, mismatched or\n' +
        'expired, or when the port is in use.',
    )
    .action(runBroker);
}
