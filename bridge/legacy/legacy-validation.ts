import { isValidName, NAME_RULE } from '../../lib/names.js';
import { isUserRole, type UserRole } from '../users/user-store.js';
import { passwordProblem } from '../users/password-hash.js';
import { fitsStatus, LEGACY_LEVELS, type LegacyLevel } from './legacy-mapping.js';
import { MAX_MESSAGE_BYTES } from '../../lib/status-payload.js';

/** The old API's validation answer: every field at fault with its reason. */
export class LegacyValidationError extends Error {
  readonly allErrors: Record<string, string>;

  constructor(allErrors: Record<string, string>) {
    super(`invalid fields: ${Object.keys(allErrors).join(', ')}`);
    this.allErrors = allErrors;
  }

  toBody(): { all_errors: Record<string, string>; error: 400 } {
    return { all_errors: this.allErrors, error: 400 };
  }
}

const MISSING = 'Missing data for required field.';
const NOT_STRING = 'Not a valid string.';
const TIME_FORMAT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

type Fields = Record<string, unknown>;

function asFields(body: unknown): Fields {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new LegacyValidationError({ _schema: 'Invalid input type: the body must be an object.' });
  }
  return body as Fields;
}

function text(fields: Fields, key: string, errors: Record<string, string>): string | undefined {
  const value = fields[key];
  if (value === undefined || value === null) errors[key] = MISSING;
  else if (typeof value !== 'string') errors[key] = NOT_STRING;
  else return value;
  return undefined;
}

export interface LegacyPost {
  name: string;
  message: string;
  errorlevel: LegacyLevel;
  timestamp: string;
  updateTimestamp: boolean;
}

/** The body of `POST /api/messages/` (and with `updateTimestamp`, of `.../unique/`). */
export function parseLegacyPost(body: unknown, unique: boolean): LegacyPost {
  const fields = asFields(body);
  const errors: Record<string, string> = {};
  const name = text(fields, 'name', errors);
  const message = text(fields, 'message', errors);
  const level = text(fields, 'errorlevel', errors);
  const timestamp = text(fields, 'timestamp', errors);

  if (level !== undefined && !(LEGACY_LEVELS as readonly string[]).includes(level)) {
    errors.errorlevel = 'Must be one of: info, minor, major.';
  }
  if (timestamp !== undefined && !validTime(timestamp)) {
    errors.timestamp = 'Not a valid datetime: use YYYY-MM-DDTHH:MM:SSZ.';
  }
  if (name !== undefined && message !== undefined && !fitsStatus(name, message)) {
    errors.message = `Name and message together must be at most ${MAX_MESSAGE_BYTES - 2} bytes.`;
  }
  const update = fields.updateTimestamp;
  if (unique && update === undefined) errors.updateTimestamp = MISSING;
  else if (unique && typeof update !== 'boolean') errors.updateTimestamp = 'Not a valid boolean.';

  if (Object.keys(errors).length > 0) throw new LegacyValidationError(errors);
  return {
    name: name as string,
    message: message as string,
    errorlevel: level as LegacyLevel,
    timestamp: timestamp as string,
    updateTimestamp: update === true,
  };
}

function validTime(value: string): boolean {
  return (
    TIME_FORMAT.test(value) &&
    !Number.isNaN(Date.parse(value)) &&
    new Date(value).toISOString().slice(0, 19) === value.slice(0, 19)
  );
}

/** The body of PATCH and DELETE on messages: `{"messageId": str}`. */
export function parseMessageId(body: unknown): string {
  const fields = asFields(body);
  const errors: Record<string, string> = {};
  const id = text(fields, 'messageId', errors);
  if (Object.keys(errors).length > 0) throw new LegacyValidationError(errors);
  return id as string;
}

export interface LegacyUser {
  username: string;
  role: UserRole;
  memo: string | undefined;
  password: string;
}

/** The body of POST and PATCH on `/api/users/`. */
export function parseLegacyUser(body: unknown): LegacyUser {
  const fields = asFields(body);
  const errors: Record<string, string> = {};
  const username = text(fields, 'username', errors);
  const level = text(fields, 'permissionLevel', errors);
  const password = text(fields, 'password', errors);
  const memo = fields.memo;

  if (username !== undefined && !isValidName(username)) {
    errors.username = `Not a valid name: use ${NAME_RULE}.`;
  }
  if (level !== undefined && !isUserRole(level)) {
    errors.permissionLevel = 'Must be one of: service, monitor, admin.';
  }
  const weak = password === undefined ? undefined : passwordProblem(password);
  if (weak !== undefined) errors.password = `The password ${weak}.`;
  if (memo !== undefined && typeof memo !== 'string') errors.memo = NOT_STRING;

  if (Object.keys(errors).length > 0) throw new LegacyValidationError(errors);
  return {
    username: username as string,
    role: level as UserRole,
    memo: memo as string | undefined,
    password: password as string,
  };
}

/** The body of DELETE on `/api/users/`: `{"username": str}`. */
export function parseUsername(body: unknown): string {
  const fields = asFields(body);
  const errors: Record<string, string> = {};
  const username = text(fields, 'username', errors);
  if (Object.keys(errors).length > 0) throw new LegacyValidationError(errors);
  return username as string;
}
