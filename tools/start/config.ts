import { z } from 'zod';
import { brokerConfigSchema } from '../../broker/index.js';
import { bridgeConfigSchema } from '../../bridge/index.js';
import { loadConfig } from '../../lib/config.js';
import { monitorConfigSchema } from '../../monitor/index.js';

/**
 * `piminder start` runs whichever parts its config file has a section for: `broker`, `bridge`,
 * `monitor`, each with the keys of that part's own command. Environment overrides carry the
 * section (`PIMINDER_BROKER_PORT`, `PIMINDER_BRIDGE_PORT`, `PIMINDER_MONITOR_LINK_DOWN_AFTER`).
 */
export const startConfigSchema = z.strictObject({
  broker: brokerConfigSchema.optional(),
  bridge: bridgeConfigSchema.optional(),
  monitor: monitorConfigSchema.optional(),
});

export type StartConfig = z.infer<typeof startConfigSchema>;

/**
 * Without a file: every part on loopback, a simulated monitor with the LEDs of the wiring
 * example (and a white one for info), so a first run shows everything a Pi would.
 */
export const DEVELOPMENT_CONFIG = {
  broker: {},
  bridge: {},
  monitor: {
    gpio: { backend: 'simulated' },
    // Steady, not blinking: every change of a simulated output is a log line, and a blinking
    // one would bury the terminal of a first run in them.
    outputs: [
      { name: 'red', line: 17, when: ['major'] },
      { name: 'amber', line: 27, when: ['minor', 'stale'] },
      { name: 'green', line: 22, when: ['all-clear'] },
      { name: 'blue', line: 24, when: ['link-down'] },
      { name: 'white', line: 25, when: ['info'] },
    ],
    inputs: [{ name: 'ack', line: 5, action: 'ack-all' }],
  },
};

export interface StartFlags {
  config?: string | undefined;
  certs?: string | undefined;
  data?: string | undefined;
}

/** Where `--certs` and `--data` (or PIMINDER_CERTS, PIMINDER_DATA) land in each section. */
const SHARED_FOLDERS = {
  certs: ['broker.certs', 'bridge.certs', 'monitor.broker.certs'],
  data: ['broker.data', 'bridge.data'],
} as const;

export function loadStartConfig(flags: StartFlags, env: NodeJS.ProcessEnv = process.env) {
  const base = flags.config === undefined ? DEVELOPMENT_CONFIG : undefined;
  const raw = loadConfig(startConfigSchema, { file: flags.config, base, env: {} });
  const present = {
    broker: raw.broker !== undefined,
    bridge: raw.bridge !== undefined,
    monitor: raw.monitor !== undefined,
  };

  const overrides: Record<string, unknown> = {};
  for (const [folder, paths] of Object.entries(SHARED_FOLDERS)) {
    const value =
      folder === 'certs' ? (flags.certs ?? env.PIMINDER_CERTS) : (flags.data ?? env.PIMINDER_DATA);
    if (value === undefined || value === '') continue;
    for (const path of paths) {
      const section = path.split('.')[0] as keyof typeof present;
      if (present[section]) overrides[path] = value;
    }
  }

  // Sections are enabled by the file alone: an environment variable tunes a part but
  // never switches one on.
  const sectionEnv = Object.fromEntries(
    Object.entries(env).filter(([name]) =>
      Object.entries(present).some(
        ([section, on]) => on && name.startsWith(`PIMINDER_${section.toUpperCase()}_`),
      ),
    ),
  );
  return loadConfig(startConfigSchema, {
    file: flags.config,
    base,
    env: sectionEnv,
    flags: overrides,
  });
}
