import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Logger } from '../lib/logger.js';
import type { Authenticator, Caller } from './auth/authenticate.js';
import { HttpError } from './errors.js';
import type { BridgeMetrics } from './metrics.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook on every route that is not public. */
    caller: Caller | null;
  }
  interface FastifyContextConfig {
    /** Served without credentials (`/healthz`). */
    public?: boolean;
  }
}

export interface HttpServerOptions {
  tls: { key: Buffer; cert: Buffer; ca: Buffer; crl?: Buffer | undefined };
  bodyBytes: number;
  authenticator: Authenticator;
  metrics: BridgeMetrics;
  logger: Logger;
}

/** The bridge's fastify instance: HTTPS, pino logger. */
export type BridgeApp = FastifyInstance<Server, IncomingMessage, ServerResponse, Logger>;

/** Fastify's own refusals, turned into the bridge's catalogue. */
const FASTIFY_PROBLEMS: Record<string, () => HttpError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () =>
    new HttpError('TOO_LARGE', 'the request body is too large', {
      hint: 'a status message is at most 4 KiB; send less',
    }),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () =>
    new HttpError('MEDIA_TYPE', 'the request body must be JSON', {
      hint: 'send "Content-Type: application/json"',
    }),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () =>
    new HttpError('BAD_JSON', 'Content-Length does not match the body'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () =>
    new HttpError('BAD_JSON', 'the body is empty but Content-Type says JSON', {
      hint: 'send a JSON object, or no Content-Type when there is no body',
    }),
  FST_ERR_CTP_INVALID_JSON_BODY: () =>
    new HttpError('BAD_JSON', 'the request body is not valid JSON'),
};

/** The old API's paths, whose errors keep the old shapes. */
export function isLegacyPath(url: string): boolean {
  return url.startsWith('/api/messages') || url.startsWith('/api/users');
}

function asHttpError(error: FastifyError | HttpError, log: FastifyBaseLogger): HttpError {
  if (error instanceof HttpError) return error;
  const known = FASTIFY_PROBLEMS[error.code];
  if (known !== undefined) return known();
  if (error.statusCode !== undefined && error.statusCode < 500) {
    return new HttpError('BAD_FIELD', error.message);
  }
  log.error({ err: error }, 'request failed');
  return new HttpError('INTERNAL', 'the bridge failed to answer; see its log');
}

/** Sends an error in the shape the caller's API uses. */
export function sendError(request: FastifyRequest, reply: FastifyReply, error: HttpError) {
  if (error.problem === 'TOO_LARGE') {
    // Closing the connection spares reading (and discarding) the rest of a huge body.
    void reply.header('connection', 'close');
  }
  if (error.status === 401) void reply.header('www-authenticate', 'Basic realm="piminder"');

  if (!isLegacyPath(request.url)) return reply.code(error.status).send(error.toBody());
  if (error.status === 401) return reply.code(401).send({ message: 'unauthorized' });
  return reply
    .code(error.status)
    .send({ error: error.status, message: error.message, code: error.code });
}

/**
 * The HTTPS server: the Piminder server certificate, client certificates requested but not
 * required (HTTP Basic callers have none), JSON bodies only, and errors as JSON.
 */
export function createHttpServer(options: HttpServerOptions): BridgeApp {
  const { tls, logger, metrics, authenticator } = options;
  const app = Fastify({
    https: { ...tls, requestCert: true, rejectUnauthorized: false },
    bodyLimit: options.bodyBytes,
    loggerInstance: logger,
    // The onResponse hook below logs each answer once, at debug, with the caller.
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: true,
    return503OnClosing: true,
  });

  // Only JSON is accepted; anything else is a 415 from the framework.
  app.removeContentTypeParser(['text/plain']);
  app.decorateRequest('caller', null);

  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.public === true) return;
    request.caller = await authenticator.identify({
      socket: request.raw.socket as TLSSocket,
      authorization: request.headers.authorization,
      address: request.ip,
    });
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const labels = { method: request.method, route, code: String(reply.statusCode) };
    metrics.httpRequests.inc(labels);
    request.log.debug({ ...labels, caller: request.caller?.name }, 'answered');
  });

  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    return sendError(request, reply, asHttpError(error, request.log));
  });

  app.setNotFoundHandler((request, reply) => {
    const message = `no route ${request.method} ${request.url.split('?')[0] ?? ''}`;
    const error = new HttpError('NO_ROUTE', message, { hint: 'see the README for the routes' });
    return sendError(request, reply, error);
  });
  return app;
}
