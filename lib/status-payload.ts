import { z } from 'zod';
import { PiminderError } from './errors.js';
import { isValidName, NAME_RULE } from './names.js';
import { SEVERITIES, type Severity } from './severity.js';

/** Longest `message`, in UTF-8 bytes. */
export const MAX_MESSAGE_BYTES = 4096;

/** Longest `ttl`: one year, in seconds. Anything longer is a unit mistake, not a deadline. */
export const MAX_TTL_SECONDS = 365 * 24 * 3600;

const rfc3339 = z.iso.datetime({ offset: true, local: false });

/** What a reporter sends on `<prefix>/status/<service>[/<check>]`. */
export const reportSchema = z.strictObject({
  severity: z.enum(SEVERITIES, { error: `must be one of ${SEVERITIES.join(', ')}` }),
  message: z
    .string({ error: 'must be a string (it may be empty)' })
    .refine((text) => Buffer.byteLength(text, 'utf8') <= MAX_MESSAGE_BYTES, {
      error: `must be at most ${MAX_MESSAGE_BYTES} bytes of UTF-8`,
    }),
  timestamp: rfc3339.optional(),
  ttl: z
    .number({ error: 'must be a number of seconds' })
    .positive({ error: 'must be more than 0 seconds' })
    .max(MAX_TTL_SECONDS, { error: `must be at most ${MAX_TTL_SECONDS} seconds (one year)` })
    .optional(),
});

export type Report = z.infer<typeof reportSchema>;

/** What the broker stores and delivers: the report plus what the broker knows. */
export interface Status {
  service: string;
  check: string | null;
  id: string;
  severity: Severity;
  message: string;
  timestamp: string;
  ttl?: number;
  receivedAt: string;
  acknowledged: boolean;
  acknowledgedBy?: string;
  acknowledgedAt?: string;
  stale?: boolean;
}

/** Readers accept fields they do not know, so a newer broker does not break an older monitor. */
export const statusSchema = z.looseObject({
  service: z.string(),
  check: z.string().nullable(),
  id: z.string(),
  severity: z.enum(SEVERITIES),
  message: z.string(),
  timestamp: z.string(),
  ttl: z.number().optional(),
  receivedAt: z.string(),
  acknowledged: z.boolean(),
  acknowledgedBy: z.string().optional(),
  acknowledgedAt: z.string().optional(),
  stale: z.boolean().optional(),
});

/**
 * An acknowledgement. `by` names the person or identity a bridge acknowledges for (an HTTP
 * caller); the broker takes it only from the bridge and admin roles.
 */
export const ackSchema = z.strictObject({
  id: z.string().min(1).max(128),
  by: z
    .string()
    .refine(isValidName, { error: `must be ${NAME_RULE}` })
    .optional(),
});

export type Ack = z.infer<typeof ackSchema>;

export class PayloadError extends PiminderError {
  constructor(reason: string) {
    super('PIMINDER_ERR_PAYLOAD_INVALID', reason, {
      hint: 'send a JSON object with "severity" (ok, info, minor, major) and "message"',
    });
  }
}

/** One decoder for every payload: decode() without { stream } keeps no state between calls. */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function decodeJson(payload: Uint8Array | string): unknown {
  let text: string;
  try {
    text = typeof payload === 'string' ? payload : strictUtf8.decode(payload);
  } catch {
    throw new PayloadError('payload is not valid UTF-8');
  }

  try {
    return JSON.parse(text);
  } catch {
    throw new PayloadError('payload is not valid JSON');
  }
}

function isMissing(raw: unknown, path: PropertyKey[]): boolean {
  let node = raw;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return true;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node === undefined;
}

function describeIssues(error: z.ZodError, raw: unknown): string {
  return error.issues
    .map((issue) => {
      if (issue.code === 'unrecognized_keys') {
        return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
      }
      const field = issue.path.join('.');
      if (field === '') return 'payload must be a JSON object';
      if (isMissing(raw, issue.path)) return `${field} is missing`;
      return `${field} ${issue.message}`;
    })
    .join('; ');
}

/** Validates a status report; throws PayloadError naming the field and the reason. */
export function parseReport(payload: Uint8Array | string): Report {
  const raw = decodeJson(payload);
  const result = reportSchema.safeParse(raw);
  if (!result.success) throw new PayloadError(describeIssues(result.error, raw));
  return result.data;
}

/** Validates an acknowledgement body; an empty payload means "whatever is current". */
export function parseAck(payload: Uint8Array | string): Ack | undefined {
  if (payload.length === 0) return undefined;
  const raw = decodeJson(payload);
  const result = ackSchema.safeParse(raw);
  if (!result.success) {
    throw new PayloadError(`acknowledgement: ${describeIssues(result.error, raw)}`);
  }
  return result.data;
}

/** Reads a stored, normalised status as the broker delivers it. */
export function parseStatus(payload: Uint8Array | string): Status {
  const raw = decodeJson(payload);
  const result = statusSchema.safeParse(raw);
  if (!result.success) throw new PayloadError(`status: ${describeIssues(result.error, raw)}`);
  return result.data as Status;
}
