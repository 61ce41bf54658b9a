import forge from 'node-forge';
import { isValidName, NAME_RULE, reservedNameProblem } from '../../lib/names.js';
import { isRole, ROLES, type Role } from '../../lib/roles.js';
import { CertsError } from './errors.js';
import type { CaMaterial } from './pki.js';

/** The checks every command runs before it touches the disk. */

/** 100 years: beyond that a typo is more likely than an intent. */
const MAX_DAYS = 36500;

const DAY_MS = 86_400_000;

/** X.509's upper bound for a common name (RFC 5280, ub-common-name). */
const MAX_CN_LENGTH = 64;

export function caNotAfter(ca: CaMaterial): Date {
  return forge.pki.certificateFromPem(ca.certPem).validity.notAfter;
}

export function checkDays(days: number): void {
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
    throw new CertsError(
      'BAD_DAYS',
      `--days must be a whole number from 1 to ${MAX_DAYS}, not ${days}`,
    );
  }
}

/** A leaf that outlives its CA fails verification on its last days without any warning. */
export function checkWithinCa(ca: CaMaterial, days: number, now = new Date()): void {
  const caEnd = caNotAfter(ca);
  if (caEnd.getTime() <= now.getTime()) {
    throw new CertsError(
      'CA_EXPIRED',
      `the CA expired on ${caEnd.toISOString()}`,
      'create a new CA with "piminder certs init --force" and issue every certificate again',
    );
  }
  if (now.getTime() + days * DAY_MS > caEnd.getTime()) {
    const left = Math.floor((caEnd.getTime() - now.getTime()) / DAY_MS);
    throw new CertsError(
      'BAD_DAYS',
      `${days} days would outlive the CA, which is valid until ${caEnd.toISOString()}`,
      `use --days ${Math.max(left, 1)} or fewer`,
    );
  }
}

export function checkName(name: string): void {
  if (!isValidName(name)) {
    throw new CertsError('BAD_NAME', `"${name}" is not a valid name: use ${NAME_RULE}`);
  }
}

/** A service may not take the name the broker reports on itself under. */
export function checkServiceName(name: string, role: Role): void {
  const problem = reservedNameProblem(name, role);
  if (problem !== undefined) throw new CertsError('BAD_NAME', problem, 'choose another name');
}

export function checkRole(role: string): asserts role is Role {
  if (!isRole(role)) {
    throw new CertsError('BAD_ROLE', `unknown role "${role}": use one of ${ROLES.join(', ')}`);
  }
}

export function checkCommonName(cn: string): void {
  if (cn.trim() === '' || cn.length > MAX_CN_LENGTH) {
    throw new CertsError('BAD_NAME', `--cn must be 1 to ${MAX_CN_LENGTH} characters`);
  }
}
