import { z } from 'zod';
import { DEFAULT_PREFIX } from '../lib/topics.js';
import { isValidName } from '../lib/names.js';

/**
 * Everything `piminder broker` can be told, from the config file, `PIMINDER_*` variables
 * (derived from the key path: `limits.maxPacketSize` → `PIMINDER_LIMITS_MAX_PACKET_SIZE`) or
 * flags. Times are in milliseconds unless the key says seconds; sizes in bytes.
 */
export const limitsSchema = z.strictObject({
  /** Largest MQTT packet accepted, in bytes; a frame declaring more closes its socket. */
  maxPacketSize: z.number().int().min(1024).max(268_435_455).default(65_536),
  /** Open TCP connections at once; further ones are closed on accept. */
  maxConnections: z.number().int().positive().default(1000),
  /** A TLS handshake not finished within this many ms closes the socket. */
  handshakeTimeout: z.number().int().positive().default(10_000),
  /** A connection whose CONNECT has not arrived within this many ms is closed. */
  connectTimeout: z.number().int().positive().default(10_000),
  /** A client whose socket has not drained within this many ms is disconnected (0: never). */
  drainTimeout: z.number().int().min(0).default(30_000),
  /** Largest keep-alive a client may ask for, in seconds (0: no limit, and 0 is allowed). */
  keepAliveLimit: z.number().int().min(0).max(65_535).default(0),
  /** Bytes waiting in one client's socket before it counts as a slow consumer and is dropped. */
  maxClientBacklog: z
    .number()
    .int()
    .min(65_536)
    .default(8 * 1024 * 1024),
});

export const brokerConfigSchema = z.strictObject({
  /** The folder `piminder certs` writes: ca.crt, server.crt, server.key, crl.pem. */
  certs: z.string().min(1).default('./certs'),
  /** LevelDB folder for retained statuses, sessions and wills. */
  data: z.string().min(1).default('./data'),
  host: z.string().min(1).default('127.0.0.1'),
  /** 0 picks a free port; the ready log line says which. */
  port: z.number().int().min(0).max(65_535).default(8883),
  topicPrefix: z
    .string()
    .refine(isValidName, { error: 'must be a single topic level of [A-Za-z0-9._-]' })
    .default(DEFAULT_PREFIX),
  /** "fsync": status writes reach the disk before the PUBACK; "os": the OS flushes later. */
  durability: z.enum(['fsync', 'os']).default('fsync'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** How often the CA file and CRL are checked for changes, in ms. */
  trustReloadInterval: z.number().int().min(50).max(60_000).default(1000),
  /** Aedes heartbeat in ms; wills of a crashed broker are published after four of these. */
  heartbeatInterval: z.number().int().min(100).default(60_000),
  /** How often the broker re-checks its own certificates for its status, in ms. */
  selfCheckInterval: z.number().int().min(1000).default(3_600_000),
  limits: limitsSchema.prefault({}),
});

export type BrokerConfig = z.infer<typeof brokerConfigSchema>;

export type BrokerLimits = BrokerConfig['limits'];
