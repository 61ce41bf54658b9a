import { dirname, join } from 'node:path';
import { z } from 'zod';
import { ConfigError, loadConfig } from '../../lib/config.js';
import {
  DEFAULT_BROKER_URL,
  identityFiles,
  readClientTls,
  type ClientFiles,
  type ClientTls,
} from '../../lib/client-identity.js';
import { isValidName, NAME_RULE } from '../../lib/names.js';
import { DEFAULT_PREFIX } from '../../lib/topics.js';
import { readCertificateFacts, type CertificateFacts } from './certificate-facts.js';
import { UsageError } from './errors.js';

/** Longest `--timeout`: an hour, in seconds. A cron job should not hang for longer. */
export const MAX_TIMEOUT_SECONDS = 3600;

/** Default `--timeout`, in seconds: time to connect and get the broker's answer. */
export const DEFAULT_TIMEOUT_SECONDS = 10;

/**
 * How `piminder publish` and `piminder status` reach the broker. One definition serves the
 * flags and the `PIMINDER_*` environment (PIMINDER_URL, PIMINDER_IDENTITY, PIMINDER_CERTS,
 * PIMINDER_CERT, PIMINDER_KEY, PIMINDER_CA, PIMINDER_SERVERNAME, PIMINDER_TOPIC_PREFIX,
 * PIMINDER_TIMEOUT), so that a crontab line stays short.
 */
export const connectionSchema = z.strictObject({
  url: z.string().default(DEFAULT_BROKER_URL),
  identity: z.string().optional(),
  certs: z.string().default('certs'),
  cert: z.string().optional(),
  key: z.string().optional(),
  ca: z.string().optional(),
  servername: z.string().optional(),
  topicPrefix: z.string().default(DEFAULT_PREFIX),
  timeout: z
    .number({ error: 'must be a number of seconds' })
    .positive({ error: 'must be more than 0 seconds' })
    .max(MAX_TIMEOUT_SECONDS, { error: `must be at most ${MAX_TIMEOUT_SECONDS} seconds` })
    .default(DEFAULT_TIMEOUT_SECONDS),
});

export type ConnectionConfig = z.infer<typeof connectionSchema>;

/** The connection flags as commander hands them over (all optional strings). */
export type ConnectionFlags = Partial<Record<keyof ConnectionConfig, string>>;

export interface BrokerEndpoint {
  host: string;
  port: number;
  /** The URL as the user wrote it, for messages. */
  url: string;
  /** `host:port` for messages, with an IPv6 address in brackets. */
  address: string;
}

/** Everything needed to open a connection, read and checked before any socket is opened. */
export interface ConnectionSettings {
  endpoint: BrokerEndpoint;
  /** Name the broker's certificate must carry; defaults to the URL's host. */
  servername: string | undefined;
  files: ClientFiles;
  tls: ClientTls;
  /** The certificate's CN and OU: who the broker will think we are. */
  identity: CertificateFacts;
  prefix: string;
  timeoutMs: number;
  /** The CRL beside the CA file, consulted only to explain a refused handshake. */
  crlPath: string;
}

const DEFAULT_MQTTS_PORT = 8883;

export function parseBrokerUrl(text: string): BrokerEndpoint {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--url "${text}" is not a URL`, 'write it as mqtts://host:port');
  }

  if (url.protocol !== 'mqtts:') {
    throw new UsageError(
      `--url "${text}" must start with mqtts:// (Piminder speaks MQTT over TLS only)`,
    );
  }
  if (url.hostname === '' || (url.pathname !== '' && url.pathname !== '/')) {
    throw new UsageError(`--url "${text}" must be mqtts://host[:port] with no path`);
  }

  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port === '' ? DEFAULT_MQTTS_PORT : Number(url.port);
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return { host, port, url: text, address };
}

function chooseFiles(config: ConnectionConfig, defaultIdentity: string | undefined): ClientFiles {
  const explicitFiles = config.cert !== undefined || config.key !== undefined;

  if (explicitFiles) {
    if (config.identity !== undefined) {
      throw new UsageError('give either --identity or --cert and --key, not both');
    }
    if (config.cert === undefined || config.key === undefined) {
      throw new UsageError('--cert and --key go together: pass both files');
    }
    return { cert: config.cert, key: config.key, ca: config.ca ?? join(config.certs, 'ca.crt') };
  }

  const identity = config.identity ?? defaultIdentity;
  if (identity === undefined) {
    throw new UsageError(
      'no client certificate given',
      'pass --identity NAME (set PIMINDER_IDENTITY) or --cert FILE --key FILE',
    );
  }
  if (!isValidName(identity)) {
    throw new UsageError(`--identity "${identity}" is not a valid name: use ${NAME_RULE}`);
  }

  const files = identityFiles(config.certs, identity);
  return config.ca === undefined ? files : { ...files, ca: config.ca };
}

function loadConnectionConfig(flags: ConnectionFlags, env: NodeJS.ProcessEnv): ConnectionConfig {
  try {
    return loadConfig(connectionSchema, { env, flags });
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * Turns flags and environment into connection settings: validates every value, reads the
 * certificate files (naming any that is missing) and the identity inside the certificate.
 */
export function resolveConnection(
  flags: ConnectionFlags,
  options: { env?: NodeJS.ProcessEnv; defaultIdentity?: string } = {},
): ConnectionSettings {
  const config = loadConnectionConfig(flags, options.env ?? process.env);

  const endpoint = parseBrokerUrl(config.url);
  if (!isValidName(config.topicPrefix)) {
    const prefix = config.topicPrefix;
    throw new UsageError(`--topic-prefix "${prefix}" is not a valid name: ${NAME_RULE}`);
  }

  const files = chooseFiles(config, options.defaultIdentity);
  const tls = readClientTls(files);
  const identity = readCertificateFacts(files, tls);

  return {
    endpoint,
    servername: config.servername,
    files,
    tls,
    identity,
    prefix: config.topicPrefix,
    timeoutMs: Math.round(config.timeout * 1000),
    crlPath: join(dirname(files.ca), 'crl.pem'),
  };
}
