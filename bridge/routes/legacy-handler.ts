import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Caller } from '../auth/authenticate.js';
import { HttpError } from '../errors.js';
import { legacyLevel } from '../legacy/legacy-mapping.js';
import { LegacyValidationError } from '../legacy/legacy-validation.js';
import { callerOf } from './route-helpers.js';

/** The old API's answer to valid credentials with too low a level; clients rely on it. */
export const LOW_LEVEL_BODY = { error: 400, msg: 'Unauthorized' } as const;

class LowLevel extends Error {}

/** Refuses a caller below the old permission level `level`. */
export function requireLevel(caller: Caller, level: 1 | 2 | 3): void {
  if (legacyLevel(caller.role) < level) throw new LowLevel();
}

export const OK_BODY = { error: 200 } as const;

/** A 400 with `"message"`, as the old API answered a request it could not carry out. */
export function legacyRefusal(message: string): HttpError {
  return new HttpError('BAD_FIELD', message);
}

type LegacyHandler = (caller: Caller, body: unknown) => Promise<unknown>;

/**
 * Wraps a handler of the old API: the level check, the `all_errors` answer, and the odd 400 for
 * a credential that may not do this (too low a level, or the access table says no).
 */
export function legacyRoute(level: 1 | 2 | 3, handler: LegacyHandler) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      const caller = callerOf(request);
      requireLevel(caller, level);
      return await handler(caller, request.body);
    } catch (error) {
      if (error instanceof LowLevel) return reply.code(400).send(LOW_LEVEL_BODY);
      if (error instanceof HttpError && error.problem === 'FORBIDDEN') {
        request.log.info({ caller: request.caller?.name, reason: error.message }, 'legacy refused');
        return reply.code(400).send(LOW_LEVEL_BODY);
      }
      if (error instanceof LegacyValidationError) return reply.code(400).send(error.toBody());
      throw error;
    }
  };
}
