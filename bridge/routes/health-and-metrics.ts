import type { BridgeApp } from '../http-server.js';
import { maySubscribe } from '../../lib/roles.js';
import { HttpError } from '../errors.js';
import { callerOf, type BridgeParts } from './route-helpers.js';

/** `/healthz` for load balancers and `/metrics` for Prometheus. */
export function registerHealthAndMetricsRoutes(app: BridgeApp, parts: BridgeParts): void {
  const { link, users, metrics, config } = parts;

  app.get('/healthz', { config: { public: true } }, async (_request, reply) => {
    let store: string;
    try {
      await users.list();
      store = 'ok';
    } catch (error) {
      store = (error as Error).message;
    }
    const healthy = link.synced && store === 'ok';
    const body = {
      status: healthy ? 'ok' : 'unavailable',
      broker: { connected: link.synced, url: config.broker },
      store: { users: store },
      statuses: link.table.size,
    };
    return reply.code(healthy ? 200 : 503).send(body);
  });

  app.get('/metrics', { config: { public: config.publicMetrics } }, async (request, reply) => {
    if (!config.publicMetrics) {
      const caller = callerOf(request);
      const decision = maySubscribe(caller, config.topicPrefix, `${config.topicPrefix}/status/#`);
      if (!decision.allowed) {
        throw new HttpError('FORBIDDEN', `${caller.name} may not read metrics: ${decision.reason}`);
      }
    }
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
}
