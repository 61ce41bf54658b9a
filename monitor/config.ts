import { z } from 'zod';
import { loadConfig, type ConfigSources } from '../lib/config.js';
import { DEFAULT_BROKER_URL } from '../lib/client-identity.js';
import { isValidName, NAME_RULE } from '../lib/names.js';
import { DEFAULT_PREFIX } from '../lib/topics.js';
import { CONDITIONS } from './conditions.js';

export const PATTERNS = ['steady', 'blink', 'beep'] as const;
export type Pattern = (typeof PATTERNS)[number];

export const ACTIONS = ['ack-all', 'ack-top', 'clear-acked'] as const;
export type InputAction = (typeof ACTIONS)[number];

export const BACKENDS = ['auto', 'onoff', 'simulated'] as const;

/** Highest line number accepted: far above any Raspberry Pi header, below sysfs limits. */
const MAX_LINE = 1023;

const name = z.string().refine(isValidName, { error: `must be ${NAME_RULE}` });
const line = z
  .number({ error: 'must be a GPIO line number' })
  .int({ error: 'must be a whole GPIO line number' })
  .min(0, { error: 'must be 0 or more' })
  .max(MAX_LINE, { error: `must be at most ${MAX_LINE}` });

const outputSchema = z.strictObject({
  name,
  line,
  when: z
    .array(z.enum(CONDITIONS, { error: `must be one of ${CONDITIONS.join(', ')}` }))
    .min(1, { error: 'must name at least one condition' }),
  pattern: z.enum(PATTERNS, { error: `must be one of ${PATTERNS.join(', ')}` }).default('steady'),
  /** blink: one on/off cycle; beep: from one burst to the next. Milliseconds. */
  periodMs: z.number().int().min(50).max(60_000).optional(),
  /** beep: how long each burst sounds, in milliseconds. */
  beepMs: z.number().int().min(10).max(5_000).optional(),
  /** The line is driven low to switch the LED or buzzer on. */
  activeLow: z.boolean().default(false),
});

const inputSchema = z.strictObject({
  name,
  line,
  action: z.enum(ACTIONS, { error: `must be one of ${ACTIONS.join(', ')}` }),
  /** A press counts once the line has held the pressed level this long, in milliseconds. */
  debounceMs: z.number().int().min(0).max(5_000).default(50),
  /** Pressed reads low: a button from the line to ground with a pull-up, the usual wiring. */
  activeLow: z.boolean().default(true),
});

export type OutputConfig = z.infer<typeof outputSchema>;
export type InputConfig = z.infer<typeof inputSchema>;

/** Pattern timing when the config leaves it out, in milliseconds. */
export const DEFAULT_PERIOD_MS: Record<Exclude<Pattern, 'steady'>, number> = {
  blink: 1000,
  beep: 2000,
};
export const DEFAULT_BEEP_MS = 150;

export const monitorConfigSchema = z
  .strictObject({
    topicPrefix: name.default(DEFAULT_PREFIX),
    broker: z
      .strictObject({
        url: z
          .string()
          .regex(/^mqtts?:\/\//, { error: 'must start with mqtts:// or mqtt://' })
          .default(DEFAULT_BROKER_URL),
        /** Folder with `ca.crt` and `clients/<identity>.crt|.key`. */
        certs: z.string().min(1).default('./certs'),
        identity: name.default('monitor'),
        /** MQTT keepalive, in seconds: how fast a silent broker is noticed. */
        keepalive: z.number().int().min(1).max(600).default(10),
      })
      .prefault({}),
    /** Seconds without a usable broker connection before `link-down` holds. */
    linkDownAfter: z.number().positive().max(3600).default(15),
    /**
     * Milliseconds without a retained message after SUBACK before the replay counts as
     * complete: MQTT has no end-of-replay marker, so the monitor waits for a quiet spell.
     */
    replaySettleMs: z.number().int().min(50).max(30_000).default(750),
    reconnect: z
      .strictObject({
        /** First retry delay and the ceiling of the doubling, in milliseconds. */
        minMs: z.number().int().min(50).max(60_000).default(500),
        maxMs: z.number().int().min(100).max(600_000).default(30_000),
      })
      .prefault({}),
    gpio: z
      .strictObject({
        backend: z
          .enum(BACKENDS, { error: `must be one of ${BACKENDS.join(', ')}` })
          .default('auto'),
        /** Where sysfs GPIO lives; tests point it at a fake tree. */
        root: z.string().min(1).default('/sys/class/gpio'),
        /** The chip whose lines are the BCM numbers; found by label when left out. */
        chipLabel: z.string().min(1).optional(),
      })
      .prefault({}),
    /** Draw a live view of outputs and statuses on the terminal (logs then go to stderr). */
    view: z.boolean().default(false),
    outputs: z.array(outputSchema).default([]),
    inputs: z.array(inputSchema).default([]),
  })
  .superRefine((config, context) => {
    checkPatternTiming(config.outputs, context);
    checkUniqueLines(config.outputs, config.inputs, context);
    checkUniqueNames(config.outputs, config.inputs, context);
    if (config.reconnect.maxMs < config.reconnect.minMs) {
      context.addIssue({
        code: 'custom',
        path: ['reconnect', 'maxMs'],
        message: `must be at least reconnect.minMs (${config.reconnect.minMs})`,
      });
    }
  });

export type MonitorConfig = z.infer<typeof monitorConfigSchema>;

type Context = z.RefinementCtx;

function checkPatternTiming(outputs: OutputConfig[], context: Context): void {
  outputs.forEach((output, index) => {
    if (output.pattern === 'steady' && output.periodMs !== undefined) {
      context.addIssue({
        code: 'custom',
        path: ['outputs', index, 'periodMs'],
        message: 'applies only to the blink and beep patterns',
      });
    }
    if (output.pattern !== 'beep' && output.beepMs !== undefined) {
      context.addIssue({
        code: 'custom',
        path: ['outputs', index, 'beepMs'],
        message: 'applies only to the beep pattern',
      });
    }
    const period = output.periodMs ?? DEFAULT_PERIOD_MS.beep;
    if (output.pattern === 'beep' && (output.beepMs ?? DEFAULT_BEEP_MS) >= period) {
      context.addIssue({
        code: 'custom',
        path: ['outputs', index, 'beepMs'],
        message: `must be shorter than the period (${period} ms)`,
      });
    }
  });
}

function checkUniqueLines(outputs: OutputConfig[], inputs: InputConfig[], context: Context): void {
  const users = new Map<number, string>();
  type Entry = { name: string; line: number };
  const claim = (kind: 'outputs' | 'inputs', index: number, entry: Entry) => {
    const owner = users.get(entry.line);
    const me = `${kind}.${index}`;
    if (owner === undefined) {
      users.set(entry.line, me);
      return;
    }
    const both = owner.startsWith('outputs') !== (kind === 'outputs');
    context.addIssue({
      code: 'custom',
      path: [kind, index, 'line'],
      message: both
        ? `line ${entry.line} is already used by ${owner}; a line is either an input or an output`
        : `line ${entry.line} is already used by ${owner}`,
    });
  };
  outputs.forEach((output, index) => claim('outputs', index, output));
  inputs.forEach((input, index) => claim('inputs', index, input));
}

function checkUniqueNames(outputs: OutputConfig[], inputs: InputConfig[], context: Context): void {
  const seen = new Map<string, string>();
  const entries: Array<['outputs' | 'inputs', number, string]> = [
    ...outputs.map((output, index): ['outputs', number, string] => ['outputs', index, output.name]),
    ...inputs.map((input, index): ['inputs', number, string] => ['inputs', index, input.name]),
  ];
  for (const [kind, index, entryName] of entries) {
    const owner = seen.get(entryName);
    if (owner === undefined) seen.set(entryName, `${kind}.${index}`);
    else {
      context.addIssue({
        code: 'custom',
        path: [kind, index, 'name'],
        message: `name "${entryName}" is already used by ${owner}`,
      });
    }
  }
}

/** File, `PIMINDER_*` environment and flags, validated once and frozen. */
export function loadMonitorConfig(sources: ConfigSources = {}): MonitorConfig {
  return loadConfig(monitorConfigSchema, sources);
}
