import { PiminderError } from '../../lib/errors.js';

/** What went wrong between the command line and the broker. */
export type ClientProblem =
  | 'CERT_INVALID'
  | 'CONNECTION_REFUSED'
  | 'UNREACHABLE'
  | 'TLS_SERVER'
  | 'TLS_CLIENT_REFUSED'
  | 'NOT_AUTHORIZED'
  | 'CONNECT_REFUSED'
  | 'TIMEOUT'
  | 'CONNECTION_LOST'
  | 'NOT_MQTT'
  | 'NOT_TLS'
  | 'PUBLISH_REFUSED'
  | 'SUBSCRIBE_REFUSED';

/** A failure of `piminder publish` or `piminder status` talking to the broker (exit code 1). */
export class ClientError extends PiminderError {
  constructor(problem: ClientProblem, message: string, hint?: string) {
    super(`PIMINDER_ERR_CLIENT_${problem}`, message, hint === undefined ? {} : { hint });
    this.name = 'ClientError';
  }
}

/**
 * A wrong option or value on the command line, found before anything was sent (exit code 2).
 */
export class UsageError extends PiminderError {
  constructor(message: string, hint?: string) {
    super('PIMINDER_ERR_CLI_USAGE', message, hint === undefined ? {} : { hint });
    this.name = 'UsageError';
  }
}
