import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { identityFiles, readClientTls, type ClientTls } from '../lib/client-identity.js';
import { PiminderError } from '../lib/errors.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { Authenticator } from './auth/authenticate.js';
import { CredentialCache } from './auth/credential-cache.js';
import { FailureThrottle } from './auth/failure-throttle.js';
import { RevocationWatch } from './auth/revocation-watch.js';
import { BrokerLink } from './broker-link.js';
import { bridgeConfigSchema, type BridgeConfig } from './config.js';
import { EventHub } from './event-hub.js';
import { createHttpServer, type BridgeApp } from './http-server.js';
import { BridgeMetrics } from './metrics.js';
import { registerHealthAndMetricsRoutes } from './routes/health-and-metrics.js';
import { registerJsonEventRoutes } from './routes/json-events.js';
import { registerJsonStatusRoutes } from './routes/json-status.js';
import { registerLegacyMessageRoutes } from './routes/legacy-messages.js';
import { registerLegacyUserRoutes } from './routes/legacy-users.js';
import type { BridgeParts } from './routes/route-helpers.js';
import { registerStatusPageRoutes } from './routes/status-page.js';
import { StatusOperations } from './status-operations.js';
import { UserStore, usersFile } from './users/user-store.js';

export { bridgeConfig, bridgeConfigSchema, loadBridgeConfig, type BridgeConfig } from './config.js';

export interface BridgeOptions {
  /** Parent logger; the bridge logs under a child named `bridge`. */
  logger?: Logger | undefined;
}

export interface RunningBridge {
  host: string;
  port: number;
  /** Stops HTTP (ending event streams) and the broker connection; safe to call twice. */
  close: () => Promise<void>;
}

function readServerTls(certsDir: string) {
  const read = (file: string) => {
    const path = join(certsDir, file);
    try {
      return readFileSync(path);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new PiminderError('PIMINDER_ERR_BRIDGE_CERTS', `cannot read ${path}: ${reason}`, {
        hint: 'create the PKI with "piminder certs init" or pass --certs',
      });
    }
  };
  return { key: read('server.key'), cert: read('server.crt'), ca: read('ca.crt') };
}

/** How long the bridge trusts its last look at users.json, in ms. */
const USERS_RECHECK_MS = 1_000;

/** The parts every route shares: broker link, event hub, metrics, users, operations. */
function createParts(config: Readonly<BridgeConfig>, clientTls: ClientTls, logger: Logger) {
  const { limits } = config;
  const link = new BrokerLink({
    url: config.broker,
    identity: config.identity,
    tls: clientTls,
    prefix: config.topicPrefix,
    publishTimeoutMs: limits.publishTimeoutMs,
    logger,
  });
  const hub = new EventHub({
    link,
    maxStreams: limits.eventStreams,
    keepAliveMs: limits.eventKeepAliveMs,
    logger: logger.child({ module: 'events' }),
  });
  const metrics = new BridgeMetrics({
    table: link.table,
    brokerSynced: () => link.synced,
    eventStreams: () => hub.size,
  });
  const operations = new StatusOperations({
    prefix: config.topicPrefix,
    link,
    metrics,
    confirmTimeoutMs: limits.confirmTimeoutMs,
    logger,
  });
  const users = new UserStore(usersFile(config.data), USERS_RECHECK_MS);
  const parts: BridgeParts = { config, link, operations, metrics, hub, users };
  return parts;
}

function createAuthenticator(parts: BridgeParts, revocation: RevocationWatch, logger: Logger) {
  const { limits } = parts.config;
  return new Authenticator({
    users: parts.users,
    isRevoked: (serial) => revocation.isRevoked(serial),
    throttle: new FailureThrottle({
      threshold: limits.authFailuresBeforeDelay,
      baseMs: limits.authDelayBaseMs,
      maxMs: limits.authDelayMaxMs,
      windowMs: limits.authFailureWindowMs,
    }),
    cache: new CredentialCache(limits.credentialCacheMs),
    logger: logger.child({ module: 'auth' }),
  });
}

function registerRoutes(app: BridgeApp, parts: BridgeParts): void {
  registerHealthAndMetricsRoutes(app, parts);
  registerJsonStatusRoutes(app, parts);
  registerJsonEventRoutes(app, parts);
  registerLegacyMessageRoutes(app, parts);
  registerLegacyUserRoutes(app, parts);
  registerStatusPageRoutes(app, parts);
}

async function listen(app: BridgeApp, config: Readonly<BridgeConfig>): Promise<number> {
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    throw new PiminderError(
      'PIMINDER_ERR_BRIDGE_LISTEN',
      `cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`,
      { hint: 'choose another --port or stop what uses it', cause: error },
    );
  }
  const address = app.server.address();
  return typeof address === 'object' && address !== null ? address.port : config.port;
}

/**
 * Starts the HTTP bridge: HTTPS on `host:port` and an MQTT connection to the broker as
 * `identity`. Resolves once HTTP listens; the broker connection comes up in the background
 * and `/healthz` tells when it is there.
 */
export async function startBridge(
  config: Readonly<BridgeConfig>,
  options: BridgeOptions = {},
): Promise<RunningBridge> {
  const checked = bridgeConfigSchema.parse(config);
  const root = options.logger ?? createLogger({ name: 'piminder', level: checked.logLevel });
  const logger = root.child({ part: 'bridge' });

  const serverTls = readServerTls(checked.certs);
  const clientTls = readClientTls(identityFiles(checked.certs, checked.identity));
  const parts = createParts(checked, clientTls, logger);

  // Revoked client certificates fail the handshake check like foreign ones, once the new
  // list is in the server's TLS context.
  const withCrl = (crl: Buffer | undefined) => ({ ...serverTls, ...(crl ? { crl } : {}) });
  let app: BridgeApp | undefined;
  const revocation = new RevocationWatch(
    join(checked.certs, 'crl.pem'),
    (crl) => app?.server.setSecureContext(withCrl(crl)),
    logger.child({ module: 'revocation' }),
  );
  const server = createHttpServer({
    tls: withCrl(revocation.start(checked.limits.trustReloadMs)),
    bodyBytes: checked.limits.bodyBytes,
    authenticator: createAuthenticator(parts, revocation, logger),
    metrics: parts.metrics,
    logger: logger.child({ module: 'http' }),
  });
  app = server;
  registerRoutes(server, parts);

  // A user list the bridge cannot read fails every password login; say so at once.
  await parts.users.list().catch((error: unknown) => {
    logger.warn(
      { err: (error as Error).message },
      'cannot read the user list: password logins will fail until it is readable',
    );
  });
  parts.link.start();
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      revocation.close();
      parts.hub.close();
      await server.close();
      await parts.link.close();
      logger.info({ host: checked.host }, 'bridge stopped');
    })();
    return closing;
  };

  const port = await listen(server, checked).catch(async (error: unknown) => {
    await close();
    throw error;
  });
  logger.info({ host: checked.host, port, broker: checked.broker }, 'bridge listening');
  return { host: checked.host, port, close };
}
