/**
 * Every error Piminder reports to a user carries a stable code and the fix.
 * Codes read `PIMINDER_ERR_<AREA>_<PROBLEM>`; each part keeps its catalogue in its own
 * `errors.ts` and builds on this class, so a caller can branch on `code` alone.
 */
export type ErrorCode = `PIMINDER_ERR_${string}`;

export class PiminderError extends Error {
  readonly code: ErrorCode;
  /** What the user can do about it, one sentence. */
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PiminderError';
    this.code = code;
    this.hint = options.hint;
  }

  /** One line for a terminal: what went wrong and what to do. */
  toLine(): string {
    return this.hint === undefined ? this.message : `${this.message} (${this.hint})`;
  }
}

export function isPiminderError(value: unknown): value is PiminderError {
  return value instanceof PiminderError;
}

/** True for a file system error that says the process may not use the file: EACCES, EPERM. */
export function isAccessDenied(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EACCES' || code === 'EPERM';
}
