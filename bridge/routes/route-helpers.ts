import type { FastifyRequest } from 'fastify';
import { isValidName, NAME_RULE } from '../../lib/names.js';
import type { Caller } from '../auth/authenticate.js';
import type { BrokerLink } from '../broker-link.js';
import type { BridgeConfig } from '../config.js';
import { HttpError } from '../errors.js';
import type { EventHub } from '../event-hub.js';
import type { BridgeMetrics } from '../metrics.js';
import type { StatusOperations } from '../status-operations.js';
import type { UserStore } from '../users/user-store.js';

/** The parts of a running bridge that routes use. */
export interface BridgeParts {
  config: Readonly<BridgeConfig>;
  link: BrokerLink;
  operations: StatusOperations;
  metrics: BridgeMetrics;
  hub: EventHub;
  users: UserStore;
}

/** The authenticated caller; routes that are not public always have one. */
export function callerOf(request: FastifyRequest): Caller {
  if (request.caller === null) throw new HttpError('UNAUTHENTICATED', 'credentials are missing');
  return request.caller;
}

export interface ServiceParams {
  service: string;
  check?: string;
}

/** `<service>[/<check>]` from the path, each checked against the name grammar. */
export function nameParams(params: ServiceParams): { service: string; check: string | undefined } {
  for (const field of ['service', 'check'] as const) {
    const value = params[field];
    if (value !== undefined && !isValidName(value)) {
      throw new HttpError('BAD_NAME', `${field} "${value}" is not a valid name`, {
        field,
        hint: `use ${NAME_RULE}`,
      });
    }
  }
  return { service: params.service, check: params.check };
}

/** A body that must be a JSON object. */
export function objectBody(body: unknown, what: string): Record<string, unknown> {
  if (body === undefined || body === null) {
    throw new HttpError('BAD_JSON', `the body is missing: send ${what}`, {
      hint: 'send "Content-Type: application/json" and a JSON object',
    });
  }
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError('BAD_JSON', `the body must be a JSON object: ${what}`);
  }
  return body as Record<string, unknown>;
}
