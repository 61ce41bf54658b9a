import { createHash, randomBytes } from 'node:crypto';
import type { Role } from '../../lib/roles.js';
import { MAX_MESSAGE_BYTES, type Status } from '../../lib/status-payload.js';
import { effectiveSeverity } from '../../lib/status-table.js';
import { statusKey } from '../../lib/topics.js';

/**
 * How the old API's messages map onto the topic contract.
 *
 * - A message is a status of the caller's own service (a credential reports only under its own
 *   name) with a check `legacy.<n>.<24 hex>`: random for each plain POST (every POST is a new
 *   message), a digest of name and text for a unique POST (so repeats meet on one topic).
 * - The old `name` is free text, which topic levels cannot hold; the status message carries it
 *   in front: `<name>: <message>`, and `<n>` in the check is the name's length, so the two
 *   come apart exactly however the name is spelled.
 * - `messageId` is the status id; `read` is `acknowledged`.
 * - Statuses reported over MQTT or the JSON API are listed too, named `service[/check]`.
 */
export const LEGACY_CHECK = /^legacy\.(\d{1,4})\.[0-9a-f]{24}$/;

export const LEGACY_LEVELS = ['info', 'minor', 'major'] as const;

export type LegacyLevel = (typeof LEGACY_LEVELS)[number];

export interface LegacyMessage {
  messageId: string;
  name: string;
  read: boolean;
  errorLevel: LegacyLevel;
  timestamp: string;
  message: string;
}

/** The old permission level of a role; a bridge certificate counts as a monitor. */
export function legacyLevel(role: Role): 1 | 2 | 3 {
  switch (role) {
    case 'service':
      return 1;
    case 'monitor':
    case 'bridge':
      return 2;
    case 'admin':
      return 3;
  }
}

/** The check a new message goes to. */
export function legacyCheck(name: string, message: string, unique: boolean): string {
  const tail = unique
    ? createHash('sha256').update(`${name}\0${message}`).digest('hex').slice(0, 24)
    : randomBytes(12).toString('hex');
  return `legacy.${name.length}.${tail}`;
}

export function legacyText(name: string, message: string): string {
  return `${name}: ${message}`;
}

/** True when name and text fit one status message. */
export function fitsStatus(name: string, message: string): boolean {
  return Buffer.byteLength(legacyText(name, message), 'utf8') <= MAX_MESSAGE_BYTES;
}

/** The old name and text of a status. */
export function nameAndText(status: Status): { name: string; message: string } {
  const match = status.check === null ? null : LEGACY_CHECK.exec(status.check);
  const length = match === null ? undefined : Number(match[1]);
  const separated = length !== undefined && status.message.slice(length, length + 2) === ': ';
  if (length === undefined || !separated) {
    return { name: statusKey(status.service, status.check ?? undefined), message: status.message };
  }
  return { name: status.message.slice(0, length), message: status.message.slice(length + 2) };
}

/** `2026-12-03T12:00:00Z`: the old API's time format, in UTC, whole seconds. */
export function legacyTime(timestamp: string): string {
  const millis = Date.parse(timestamp);
  if (Number.isNaN(millis)) return timestamp;
  return `${new Date(millis).toISOString().slice(0, 19)}Z`;
}

/** `ok` had no level in the old API; it is shown as `info`. Stale counts as at least minor. */
export function toLegacyLevel(status: Status): LegacyLevel {
  const severity = effectiveSeverity(status);
  return severity === 'ok' ? 'info' : severity;
}

export function toLegacyMessage(status: Status): LegacyMessage {
  const { name, message } = nameAndText(status);
  return {
    messageId: status.id,
    name,
    read: status.acknowledged,
    errorLevel: toLegacyLevel(status),
    timestamp: legacyTime(status.timestamp),
    message,
  };
}

/** Newest first, as the old list was ordered. */
export function newestFirst(a: Status, b: Status): number {
  return Date.parse(b.timestamp) - Date.parse(a.timestamp) || b.id.localeCompare(a.id);
}

/** `{"0": ..., "1": ..., "error": 200}`: the old API's numbered object. */
export function numbered<T>(items: T[]): Record<string, T | number> {
  const out: Record<string, T | number> = {};
  items.forEach((item, index) => {
    out[String(index)] = item;
  });
  out.error = 200;
  return out;
}
