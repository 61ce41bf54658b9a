import type { Command } from 'commander';
import { loadBridgeConfig, startBridge } from '../../bridge/index.js';

interface BridgeFlags {
  config?: string;
  certs?: string;
  data?: string;
  host?: string;
  port?: string;
  broker?: string;
  identity?: string;
  topicPrefix?: string;
  logLevel?: string;
}

/** Flags by key path, as loadConfig takes them; absent flags leave file and environment be. */
function flagValues(flags: BridgeFlags): Record<string, unknown> {
  const { config: _file, ...values } = flags;
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
}

/** Runs until SIGTERM or SIGINT, then ends event streams, HTTP and the broker connection. */
async function runBridge(flags: BridgeFlags): Promise<void> {
  const config = loadBridgeConfig({ file: flags.config, flags: flagValues(flags) });
  const bridge = await startBridge(config);

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await bridge.close();
  process.exit(0);
}

export function register(program: Command): void {
  program
    .command('bridge')
    .description('Run the HTTP bridge: JSON API, legacy REST API, health, metrics, status page')
    .option('--config <file>', 'JSON config file (keys as below, plus "limits")')
    .option('--certs <dir>', 'certificate folder from "piminder certs" (PIMINDER_CERTS)')
    .option('--data <dir>', 'folder of users.json (PIMINDER_DATA)')
    .option('--host <address>', 'address to listen on (PIMINDER_HOST, default 127.0.0.1)')
    .option('--port <number>', 'HTTPS port, 0 for any free one (PIMINDER_PORT, default 8443)')
    .option('--broker <url>', 'broker URL (PIMINDER_BROKER, default mqtts://127.0.0.1:8883)')
    .option('--identity <name>', 'client certificate to use (PIMINDER_IDENTITY, default bridge)')
    .option('--topic-prefix <prefix>', 'first topic level (PIMINDER_TOPIC_PREFIX)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug (PIMINDER_LOG_LEVEL)')
    .addHelpText(
      'after',
      '\nEvery key can also be set in the config file or as PIMINDER_<KEY>, e.g.\n' +
        'PIMINDER_LIMITS_BODY_BYTES=65536. Callers authenticate with a client certificate\n' +
        'from the Piminder CA or with HTTP Basic credentials from "piminder users". It\n' +
        'refuses to start, with one line and exit code 1, when a certificate is missing or\n' +
        'the port is in use; a broker that is down only makes /healthz answer 503.',
    )
    .action(runBridge);
}
