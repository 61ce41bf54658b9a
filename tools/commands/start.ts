import type { Command } from 'commander';
import type { StartFlags } from '../start/config.js';

interface Flags extends StartFlags {
  logLevel?: string;
}

const HELP = `
Without --config: creates a development CA and certificates in ./certs when there are none
(never overwriting), then runs broker (mqtts://127.0.0.1:8883), HTTP bridge
(https://127.0.0.1:8443) and a monitor with simulated GPIO, with LevelDB in ./data.

With --config FILE: runs the parts the file has a section for ("broker", "bridge",
"monitor", each with the keys of that part's command); creates no certificates. Overrides:
PIMINDER_<SECTION>_<KEY>, e.g. PIMINDER_BROKER_PORT=8884, PIMINDER_BRIDGE_PORT=0.

A part that cannot start stops the whole with its reason (exit 1). SIGINT or SIGTERM stops
every part; monitor outputs end in their safe state (off).`;

async function runStart(flags: Flags): Promise<void> {
  // Loaded here, not at the top: `piminder publish` in a crontab should not pay for the
  // broker, the bridge and the monitor every time it starts.
  const { createLogger } = await import('../../lib/logger.js');
  const { SimulatedBackend } = await import('../../monitor/index.js');
  const { installProcessGuards } = await import('../../monitor/process-guards.js');
  const { attachSimulatedControls } = await import('../../monitor/simulated-controls.js');
  const { loadStartConfig } = await import('../start/config.js');
  const { ensureDevelopmentPki } = await import('../start/first-run.js');
  const { firstReportHelp } = await import('../start/instructions.js');
  const { startParts, stopParts } = await import('../start/run-all.js');
  const { assertPortsFree } = await import('../start/ports.js');

  const config = loadStartConfig(flags);
  const log = createLogger({ name: 'piminder', level: flags.logLevel });
  const development = flags.config === undefined;

  await assertPortsFree(config);
  if (development && config.broker) await ensureDevelopmentPki(config.broker.certs, log);

  const guards = installProcessGuards(log, undefined, 'piminder');
  let parts;
  try {
    parts = await startParts(config, log);
  } catch (error) {
    guards.detach();
    throw error;
  }
  const running = parts;
  guards.attach({ safeState: () => running.monitor?.safeState(), close: () => stopParts(running) });

  if (running.monitor?.backend instanceof SimulatedBackend) {
    attachSimulatedControls(running.monitor.backend, process.stdin, log);
  }

  const bridgeUrl = running.bridge && `https://${running.bridge.host}:${running.bridge.port}`;
  log.info(
    {
      broker: running.broker && `mqtts://${running.broker.host}:${running.broker.port}`,
      bridge: bridgeUrl,
      monitor: running.monitor?.backend.kind,
    },
    'piminder ready',
  );
  if (development && running.broker) {
    process.stderr.write(
      firstReportHelp({
        certs: config.broker?.certs ?? './certs',
        brokerHost: running.broker.host,
        brokerPort: running.broker.port,
        bridgeUrl,
        prefix: config.broker?.topicPrefix ?? 'piminder',
      }),
    );
  }
}

export function register(program: Command): void {
  program
    .command('start')
    .description('Run broker, HTTP bridge and monitor in one process (what npm start runs)')
    .option('-c, --config <file>', 'JSON config file with "broker", "bridge", "monitor" sections')
    .option('--certs <dir>', 'certificate folder for every part (PIMINDER_CERTS)')
    .option('--data <dir>', 'data folder for broker and bridge (PIMINDER_DATA)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug')
    .addHelpText('after', HELP)
    .action(runStart);
}
