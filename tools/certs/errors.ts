import { PiminderError } from '../../lib/errors.js';

export type CertsProblem =
  | 'CA_MISSING'
  | 'CA_EXISTS'
  | 'CA_EXPIRED'
  | 'BAD_NAME'
  | 'BAD_ROLE'
  | 'BAD_DAYS'
  | 'BAD_SAN'
  | 'EXISTS'
  | 'UNKNOWN'
  | 'ALREADY_REVOKED'
  | 'NOT_ACTIVE'
  | 'P12_PASSWORD'
  | 'FILE_EXISTS'
  | 'BAD_OPTION'
  | 'LOCKED'
  | 'INDEX_BROKEN'
  | 'UNREADABLE';

/** A refusal of the certificate tool; nothing on disk was changed when it is thrown. */
export class CertsError extends PiminderError {
  constructor(problem: CertsProblem, message: string, hint?: string) {
    super(`PIMINDER_ERR_CERTS_${problem}`, message, hint === undefined ? {} : { hint });
  }
}
