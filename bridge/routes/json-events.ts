import type { BridgeApp } from '../http-server.js';
import type { BridgeParts } from './route-helpers.js';
import { callerOf } from './route-helpers.js';

/** The live stream of changes, and who the caller is (the page asks before showing buttons). */
export function registerJsonEventRoutes(app: BridgeApp, parts: BridgeParts): void {
  app.get('/api/v1/events', async (request, reply) => {
    const caller = callerOf(request);
    parts.operations.checkReader(caller);

    // The response outlives this handler: fastify must not send or time it out.
    parts.hub.open(reply.raw, caller.name);
    reply.hijack();
  });

  app.get('/api/v1/whoami', async (request) => {
    const caller = callerOf(request);
    return {
      name: caller.name,
      role: caller.role,
      via: caller.via,
      mayAcknowledge: parts.operations.mayAcknowledge(caller, '_any', undefined),
    };
  });
}
