import { PiminderError } from '../lib/errors.js';

export type BrokerProblem =
  | 'FILE_MISSING'
  | 'KEY_EXPOSED'
  | 'KEY_MISMATCH'
  | 'CERT_EXPIRED'
  | 'CERT_INVALID'
  | 'PORT_IN_USE'
  | 'LISTEN_FAILED'
  | 'DATA_UNAVAILABLE'
  | 'CRL_UNREADABLE';

/** A reason the broker refuses to start; the message names the file, port or folder. */
export class BrokerError extends PiminderError {
  constructor(problem: BrokerProblem, message: string, hint: string, cause?: unknown) {
    super(`PIMINDER_ERR_BROKER_${problem}`, message, { hint, cause });
  }
}
