import { constants } from 'node:crypto';
import type { Socket } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { Logger } from '../lib/logger.js';
import type { BrokerLimits } from './config.js';
import { BrokerError } from './errors.js';
import { addressOf } from './identity.js';
import type { TlsMaterial } from './tls-material.js';

/** TLS settings shared by the first context and every reload. */
export function secureContextOptions(material: Pick<TlsMaterial, 'ca' | 'cert' | 'key' | 'crl'>) {
  return {
    ca: material.ca,
    cert: material.cert,
    key: material.key,
    ...(material.crl === undefined ? {} : { crl: material.crl }),
    minVersion: 'TLSv1.2' as const,
    // Clients connect with a new process each time (cron, scripts) and never resume a
    // session: tickets would only cost an encryption and a record per handshake.
    secureOptions: constants.SSL_OP_NO_TICKET,
  };
}

/** OpenSSL's verify codes, said the way an operator reads them in the log. */
function certificateRefusal(error: Error | null | undefined): string {
  const code = (error as NodeJS.ErrnoException | null | undefined)?.code ?? String(error);
  switch (code) {
    case 'CERT_REVOKED':
      return 'certificate revoked';
    case 'CERT_HAS_EXPIRED':
      return 'certificate expired';
    case 'CERT_NOT_YET_VALID':
      return 'certificate not yet valid';
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return 'certificate not issued by the Piminder CA';
    case 'UNSUPPORTED_CERTIFICATE_PURPOSE':
    case 'INVALID_PURPOSE':
      return 'certificate not made for client authentication';
    default:
      return `certificate refused (${code})`;
  }
}

export interface Listener {
  server: Server;
  /** Sockets past the TLS handshake and not yet closed. */
  sockets: Set<TLSSocket>;
}

/**
 * The mutual-TLS listener: only peers whose certificate the Piminder CA signed, and whose
 * serial the CRL does not list, get past it. OpenSSL verifies during the handshake, but a
 * handshake it aborts reaches Node only as "socket hang up", without the reason or the peer;
 * so the verdict is taken from the finished handshake instead, logged with the reason, the
 * certificate's CN and the address, and the socket closed before MQTT sees a byte of it.
 * Nagle is switched off on every socket: with it, the CONNACK of a TLS 1.3 connect waits for
 * the peer's delayed ACK (about 40 ms).
 */
export function createListener(
  material: TlsMaterial,
  limits: BrokerLimits,
  log: Logger,
  onSecureSocket: (socket: TLSSocket) => void,
): Listener {
  const sockets = new Set<TLSSocket>();
  const server = createServer({
    ...secureContextOptions(material),
    requestCert: true,
    rejectUnauthorized: false,
    handshakeTimeout: limits.handshakeTimeout,
  });
  server.maxConnections = limits.maxConnections;

  // Node's handshakeTimeout starts with the first TLS record; a peer that connects and sends
  // nothing would hold its socket forever. Pending handshakes are keyed by peer address.
  const handshakes = new Map<string, NodeJS.Timeout>();
  server.on('connection', (socket: Socket) => {
    socket.setNoDelay(true);
    const address = addressOf(socket);
    const timer = setTimeout(() => {
      log.info({ address, reason: 'TLS handshake timeout' }, 'connection refused');
      socket.destroy();
    }, limits.handshakeTimeout);
    timer.unref();
    handshakes.set(address, timer);
    socket.once('close', () => {
      clearTimeout(timer);
      if (handshakes.get(address) === timer) handshakes.delete(address);
    });
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    const address = addressOf(socket);
    clearTimeout(handshakes.get(address));
    handshakes.delete(address);
    if (!socket.authorized) {
      const peer = socket.getPeerCertificate();
      const cn = peer?.subject?.CN;
      const presented = peer !== null && peer !== undefined && Object.keys(peer).length > 0;
      const reason = presented
        ? certificateRefusal(socket.authorizationError)
        : 'no client certificate';
      log.info({ address, cn, reason }, 'connection refused');
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    onSecureSocket(socket);
  });
  server.on('tlsClientError', (error: NodeJS.ErrnoException, socket: TLSSocket) => {
    const reason = error.code ?? error.message;
    log.info({ address: addressOf(socket), reason }, 'connection refused');
  });
  server.on('drop', (data?: { remoteAddress?: string; remotePort?: number }) => {
    log.warn({ address: addressOf(data ?? {}), reason: 'maxConnections' }, 'connection refused');
  });
  return { server, sockets };
}

/** Listens, turning "address in use" into one clear refusal. */
export function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE') {
        reject(
          new BrokerError(
            'PORT_IN_USE',
            `port ${port} on ${host} is already in use`,
            'stop the other broker or pass --port with a free port',
            error,
          ),
        );
        return;
      }
      reject(
        new BrokerError(
          'LISTEN_FAILED',
          `cannot listen on ${host}:${port}: ${error.code ?? error.message}`,
          'check --host and --port',
          error,
        ),
      );
    };
    const onListening = () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
