import { PiminderError } from '../lib/errors.js';

/**
 * The bridge's catalogue of refusals. Each maps to one HTTP status, and the JSON body a caller
 * gets is `{ code, status, message }` plus `field` when one field is at fault and `hint`.
 */
export const HTTP_PROBLEMS = {
  BAD_JSON: 400,
  BAD_FIELD: 400,
  BAD_NAME: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  NO_ROUTE: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  TOO_LARGE: 413,
  MEDIA_TYPE: 415,
  INTERNAL: 500,
  BROKER_UNAVAILABLE: 503,
  BUSY: 503,
  USERS_UNAVAILABLE: 503,
  BROKER_TIMEOUT: 504,
} as const;

export type HttpProblem = keyof typeof HTTP_PROBLEMS;

export class HttpError extends PiminderError {
  readonly status: number;
  readonly problem: HttpProblem;
  readonly field: string | undefined;

  constructor(
    problem: HttpProblem,
    message: string,
    options: { field?: string; hint?: string; cause?: unknown } = {},
  ) {
    super(`PIMINDER_ERR_HTTP_${problem}`, message, options);
    this.name = 'HttpError';
    this.problem = problem;
    this.status = HTTP_PROBLEMS[problem];
    this.field = options.field;
  }

  /** The JSON body of the answer. */
  toBody(): HttpErrorBody {
    return {
      code: this.code,
      status: this.status,
      message: this.message,
      ...(this.field === undefined ? {} : { field: this.field }),
      ...(this.hint === undefined ? {} : { hint: this.hint }),
    };
  }
}

export interface HttpErrorBody {
  code: string;
  status: number;
  message: string;
  field?: string;
  hint?: string;
}

/** Refusals of the users file and the `piminder users` command. */
export type UsersProblem = 'BAD_NAME' | 'BAD_ROLE' | 'BAD_PASSWORD' | 'UNKNOWN' | 'EXISTS' | 'FILE';

export class UsersError extends PiminderError {
  constructor(problem: UsersProblem, message: string, hint?: string) {
    super(`PIMINDER_ERR_USERS_${problem}`, message, hint === undefined ? {} : { hint });
    this.name = 'UsersError';
  }
}
