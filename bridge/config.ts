import { z } from 'zod';
import { DEFAULT_BROKER_URL } from '../lib/client-identity.js';
import { loadConfig, type ConfigSources } from '../lib/config.js';
import { isValidName, NAME_RULE } from '../lib/names.js';
import { DEFAULT_PREFIX } from '../lib/topics.js';

/** Default HTTPS port of the bridge. */
export const DEFAULT_BRIDGE_PORT = 8443;

const positiveMs = (fallback: number) => z.number().int().positive().default(fallback);

/** Limits and timings; every duration is in milliseconds, every size in bytes. */
const limitsSchema = z.strictObject({
  /** Largest request body; larger ones are refused with 413 from Content-Length alone. */
  bodyBytes: z
    .number()
    .int()
    .min(1024)
    .max(16 * 1024 * 1024)
    .default(64 * 1024),
  /** How long a publish may wait for the broker's PUBACK before the request fails. */
  publishTimeoutMs: positiveMs(10_000),
  /** How long a request waits to see its own change come back from the broker. */
  confirmTimeoutMs: positiveMs(5_000),
  /** Failed logins from one address before its answers are slowed down. */
  authFailuresBeforeDelay: z.number().int().min(1).default(5),
  /** First delay once the failures are exceeded; it doubles with each further failure. */
  authDelayBaseMs: positiveMs(250),
  authDelayMaxMs: positiveMs(10_000),
  /** Failures older than this are forgotten. */
  authFailureWindowMs: positiveMs(15 * 60_000),
  /** How long a verified password is remembered (as a keyed digest), sparing the slow hash. */
  credentialCacheMs: z
    .number()
    .int()
    .min(0)
    .default(5 * 60_000),
  /** Open event streams (`/api/v1/events`) at most; more are refused with 503. */
  eventStreams: z.number().int().positive().default(200),
  /** How often crl.pem is checked for changes. */
  trustReloadMs: z.number().int().min(50).max(60_000).default(1_000),
  /** Time between keep-alive comments on an event stream. */
  eventKeepAliveMs: positiveMs(15_000),
});

export const bridgeConfigSchema = z.strictObject({
  /** Folder of the PKI: ca.crt, server.crt/.key, clients/<identity>.crt/.key, crl.pem. */
  certs: z.string().min(1).default('certs'),
  /** Folder of the bridge's own data: users.json. */
  data: z.string().min(1).default('data'),
  host: z.string().min(1).default('127.0.0.1'),
  /** 0 picks a free port (tests). */
  port: z.number().int().min(0).max(65535).default(DEFAULT_BRIDGE_PORT),
  /** The broker the bridge publishes through, mqtts:// with its client certificate. */
  broker: z
    .string()
    .regex(/^mqtts?:\/\/./, { error: 'must be an mqtts:// or mqtt:// URL' })
    .default(DEFAULT_BROKER_URL),
  /** The bridge's own client certificate: `<certs>/clients/<identity>.crt`. */
  identity: z
    .string()
    .refine(isValidName, { error: `must be ${NAME_RULE}` })
    .default('bridge'),
  topicPrefix: z
    .string()
    .refine(isValidName, { error: `must be ${NAME_RULE}` })
    .default(DEFAULT_PREFIX),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Serve /metrics without credentials (for a Prometheus without basic_auth). */
  publicMetrics: z.boolean().default(false),
  limits: limitsSchema.prefault({}),
});

export type BridgeConfig = z.infer<typeof bridgeConfigSchema>;

export type BridgeLimits = BridgeConfig['limits'];

/** The bridge's config from file, `PIMINDER_*` environment and flags, validated and frozen. */
export function loadBridgeConfig(sources: ConfigSources = {}): Readonly<BridgeConfig> {
  return loadConfig(bridgeConfigSchema, sources);
}

/** A config from plain values, defaults filled in: for `startBridge` callers and tests. */
export function bridgeConfig(values: Partial<z.input<typeof bridgeConfigSchema>> = {}) {
  return loadConfig(bridgeConfigSchema, { env: {}, flags: flatten(values) });
}

function flatten(values: Record<string, unknown>, base = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    const path = base === '' ? key : `${base}.${key}`;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      Object.assign(out, flatten(value as Record<string, unknown>, path));
    } else if (value !== undefined) out[path] = value;
  }
  return out;
}
