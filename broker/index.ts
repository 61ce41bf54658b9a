import { mkdirSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import { Aedes, type Client } from 'aedes';
import { Level } from 'level';
import mqttPacket from 'mqtt-packet';
import { createLogger, type Logger } from '../lib/logger.js';
import { accessHooks, createMayReceive } from './access.js';
import { internals, type OwnedWill } from './aedes-internals.js';
import { guardDelivery, limitPacketSize, requireWellFormedStrings } from './client-guards.js';
import type { BrokerConfig } from './config.js';
import { isAccessDenied } from '../lib/errors.js';
import { BrokerError } from './errors.js';
import { IdentityRegistry, addressOf } from './identity.js';
import { startLifecycle } from './lifecycle.js';
import { createListener, listen } from './listener.js';
import { logBrokerEvents } from './broker-log.js';
import { createPersistence } from './persistence.js';
import { PublishHook } from './publish-hook.js';
import { replayRetained } from './retained-replay.js';
import { RetainedStore, type QoS } from './retained-store.js';
import { revokedSerials } from './revocation-list.js';
import { SelfStatus } from './self-status.js';
import { StatusBook } from './status-book.js';
import { StatusWriter } from './status-writer.js';
import { loadTlsMaterial, tlsFiles } from './tls-material.js';
import { TopicQueue } from './topic-queue.js';
import { watchTrust, type TrustState } from './trust-reload.js';

export { brokerConfigSchema, type BrokerConfig } from './config.js';

// mqtt-packet writes packet ids from a table of 65,536 two-byte Buffers that it builds on its
// first write: about 7 MB of heap held for the life of the broker, to save a 2-byte
// allocation per QoS 1 packet.
mqttPacket.writeToStream.cacheNumbers = false;

export interface RunningBroker {
  readonly host: string;
  readonly port: number;
  /** Stops accepting, disconnects clients, closes the database. Safe to call twice. */
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
}

async function openDatabase(path: string): Promise<Level<string, Buffer>> {
  try {
    mkdirSync(path, { recursive: true });
    const db = new Level<string, Buffer>(path, { valueEncoding: 'buffer' });
    await db.open();
    return db;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    const code = cause?.code ?? (error as NodeJS.ErrnoException).code;
    const problem =
      code === 'LEVEL_LOCKED'
        ? {
            reason: 'it is in use by another process',
            hint: 'stop the other broker or pass --data with another folder',
          }
        : isAccessDenied(error) || isAccessDenied(cause)
          ? {
              reason: 'permission denied',
              hint: 'create it and let the user running the broker own it, or pass --data',
            }
          : { reason: (error as Error).message, hint: 'pass --data with a folder it can use' };
    throw new BrokerError(
      'DATA_UNAVAILABLE',
      `cannot open the data folder ${path}: ${problem.reason}`,
      problem.hint,
      error,
    );
  }
}

/**
 * Starts the embedded broker: Aedes behind a mutual-TLS listener, LevelDB persistence with
 * durable status writes, the access table, the status lifecycle and the broker's own
 * statuses. Resolves once it accepts connections (and has logged "broker ready").
 */
export async function startBroker(
  config: BrokerConfig,
  options: StartOptions = {},
): Promise<RunningBroker> {
  const log = options.logger ?? createLogger({ name: 'broker', level: config.logLevel });
  const files = tlsFiles(config.certs);
  const material = loadTlsMaterial(files);
  const trust: TrustState = { material, revoked: revokedSerials(material.crl) };
  if (material.crl === undefined) {
    log.warn(
      { crl: files.crl },
      'no CRL: revoked certificates are accepted until crl.pem is copied beside ca.crt',
    );
  }

  const db = await openDatabase(config.data);
  const retained = await RetainedStore.open(db, config.durability === 'fsync');
  const book = new StatusBook({ prefix: config.topicPrefix });
  const writer = new StatusWriter(retained, book);
  const queue = new TopicQueue();
  const identities = new IdentityRegistry();
  const clients = new WeakMap<TLSSocket, Client>();
  let aedes: Aedes | undefined;
  const deliver = (topic: string, payload: Buffer, qos: QoS): void => {
    aedes?.publish({ cmd: 'publish', topic, payload, qos, retain: true, dup: false }, (error) => {
      if (error) log.error({ topic, err: error }, 'status delivery failed');
    });
  };
  const dropWill = (will: OwnedWill): void => {
    const key = { id: will.clientId ?? '', brokerId: will.brokerId ?? '' };
    persistence
      .delWill(key)
      .catch((error: unknown) => log.error({ err: error }, 'will not deleted'));
  };

  const accessContext = {
    prefix: config.topicPrefix,
    identities,
    revoked: () => trust.revoked,
    log,
  };
  const publishHook = new PublishHook({
    prefix: config.topicPrefix,
    identities,
    book,
    writer,
    retained,
    queue,
    log,
    deliver,
    dropWill,
  });
  const persistence = (await createPersistence(
    db,
    retained,
    writer,
    publishHook.acceptStoredWill,
  )) as {
    delWill(client: { id: string; brokerId: string }): Promise<unknown>;
  };
  aedes = new Aedes({
    persistence,
    ...accessHooks(accessContext),
    authorizePublish: publishHook.authorize,
    connectTimeout: config.limits.connectTimeout,
    drainTimeout: config.limits.drainTimeout,
    keepaliveLimit: config.limits.keepAliveLimit,
    heartbeatInterval: config.heartbeatInterval,
  });
  logBrokerEvents(aedes, identities, log);
  const replayContext = { retained, mayReceive: createMayReceive(accessContext), log };
  aedes.on('subscribe', (subscriptions, client) =>
    replayRetained(client, subscriptions, replayContext),
  );
  await aedes.listen();
  const broker = aedes;

  const listener = createListener(material, config.limits, log, (socket) => {
    const client = broker.handle(socket);
    clients.set(socket, client);
    limitPacketSize(client, config.limits.maxPacketSize);
    requireWellFormedStrings(client);
    guardDelivery(client, {
      maxBacklog: config.limits.maxClientBacklog,
      onSlowConsumer: (backlog) => {
        log.warn(
          { clientId: client.id, address: addressOf(socket), backlog },
          'slow consumer dropped',
        );
        client.close();
      },
    });
  });

  const evict = (socket: TLSSocket): void => {
    const client = clients.get(socket);
    const entry = client === undefined ? undefined : identities.get(client);
    const fields = { clientId: client?.id, cn: entry?.identity.name, role: entry?.identity.role };
    log.info(
      { ...fields, address: addressOf(socket), reason: 'certificate revoked' },
      'connection closed',
    );
    if (client === undefined || entry === undefined) return void socket.destroy();

    // A revoked identity publishes nothing more, its will included.
    internals(client).will = null;
    dropWill({ clientId: client.id, brokerId: broker.id } as OwnedWill);
    client.close();
  };

  let port: number;
  try {
    port = await listen(listener.server, config.host, config.port);
  } catch (error) {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await db.close();
    throw error;
  }

  await startLifecycle({ prefix: config.topicPrefix, book, writer, retained, queue, log, deliver });
  const selfStatus = new SelfStatus({
    prefix: config.topicPrefix,
    book,
    writer,
    queue,
    log,
    deliver,
    certificates: () => trust.material,
    intervalMs: config.selfCheckInterval,
  });
  await selfStatus.start();
  const watcher = watchTrust({
    files,
    state: trust,
    server: listener.server,
    sockets: listener.sockets,
    intervalMs: config.trustReloadInterval,
    log,
    evict,
    onReloaded: () => void selfStatus.checkCertificates(),
  });

  log.info(
    { host: config.host, port, durability: config.durability, retained: retained.size },
    'broker ready',
  );

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      watcher.close();
      selfStatus.close();
      book.close();
      const serverClosed = new Promise<void>((resolve) => listener.server.close(() => resolve()));

      // Wills stay stored on a clean shutdown: a client that does not come back after the
      // restart has them published then, like after a crash.
      for (const socket of listener.sockets) {
        const client = clients.get(socket);
        if (client !== undefined) internals(client).will = null;
      }
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      for (const socket of listener.sockets) socket.destroy();

      await publishHook.idle();
      await queue.idle();
      await retained.drain();
      await db.close();
      await serverClosed;
      log.info({ host: config.host, port }, 'broker stopped');
    })();
    return closing;
  };

  return { host: config.host, port, close };
}
