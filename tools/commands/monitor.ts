import type { Command } from 'commander';
import { createLogger } from '../../lib/logger.js';
import {
  attachSimulatedControls,
  installProcessGuards,
  LiveView,
  loadMonitorConfig,
  SimulatedBackend,
  startMonitor,
} from '../../monitor/index.js';

interface MonitorFlags {
  config?: string;
  simulate?: boolean;
  view?: boolean;
  logLevel?: string;
}

const HELP = `
Outputs switch on for conditions: major, minor, info (the highest unacknowledged severity),
stale, link-down (no broker for linkDownAfter seconds) and all-clear.

Simulated GPIO (--simulate, or automatically where /sys/class/gpio is absent):
  every output change is a JSON log line with "output", "line", "value" and "on";
  press a button by writing "press <input>" (name or line number) to standard input,
  or send SIGUSR1 to press the first input.

Stops on SIGINT or SIGTERM with every output off and every line released.`;

async function runMonitor(flags: MonitorFlags): Promise<void> {
  const overrides: Record<string, unknown> = {};
  if (flags.simulate === true) overrides['gpio.backend'] = 'simulated';
  if (flags.view === true) overrides.view = true;
  const config = loadMonitorConfig({ file: flags.config, flags: overrides });

  // With the live view on the terminal, log lines go to stderr so that they do not tear it.
  const log = createLogger({
    name: 'monitor',
    level: flags.logLevel,
    destination: config.view ? process.stderr : undefined,
  });
  if (config.outputs.length === 0 && config.inputs.length === 0) {
    log.warn(
      { config: flags.config ?? null },
      'no outputs and no inputs configured: nothing will light up; pass --config FILE',
    );
  }
  const guards = installProcessGuards(log);

  let monitor;
  try {
    monitor = await startMonitor(config, { log });
  } catch (error) {
    guards.detach();
    throw error;
  }
  guards.attach(monitor);

  if (monitor.backend instanceof SimulatedBackend) {
    attachSimulatedControls(monitor.backend, process.stdin, log);
    const inputs = monitor.backend.inputNames();
    log.info({ inputs }, 'simulated buttons: write "press <input>" to stdin');
  }
  if (config.view) {
    const view = new LiveView(process.stdout);
    monitor.on('change', (state) => view.show(state));
    process.once('exit', () => view.flush());
    view.show(monitor.state);
  }
}

export function register(program: Command): void {
  program
    .command('monitor')
    .description('Run the status display: LEDs, buzzer and buttons on GPIO (Raspberry Pi)')
    .option('-c, --config <file>', 'JSON config file (outputs, inputs, broker)')
    .option('--simulate', 'simulated GPIO: log output changes, take presses from stdin')
    .option('--view', 'draw a live view of outputs and statuses (logs go to stderr)')
    .option('--log-level <level>', 'pino level: debug, info, warn, error')
    .addHelpText('after', HELP)
    .action(runMonitor);
}
