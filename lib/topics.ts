import { isValidName } from './names.js';

/** The default first topic level; every part takes it from config as `topicPrefix`. */
export const DEFAULT_PREFIX = 'piminder';

export type TopicKind = 'status' | 'ack';

/** A status or acknowledgement topic taken apart: `<prefix>/<kind>/<service>[/<check>]`. */
export interface ParsedTopic {
  kind: TopicKind;
  service: string;
  check: string | undefined;
}

export function statusTopic(prefix: string, service: string, check?: string): string {
  return check === undefined
    ? `${prefix}/status/${service}`
    : `${prefix}/status/${service}/${check}`;
}

export function ackTopic(prefix: string, service: string, check?: string): string {
  return check === undefined ? `${prefix}/ack/${service}` : `${prefix}/ack/${service}/${check}`;
}

/** The filter a monitor subscribes to: every status, service- and check-level. */
export function allStatusFilter(prefix: string): string {
  return `${prefix}/status/#`;
}

/**
 * Parses a status or ack topic. Returns undefined for anything else, including topics whose
 * service or check breaks the name grammar and topics with extra levels.
 */
export function parseTopic(prefix: string, topic: string): ParsedTopic | undefined {
  const levels = topic.split('/');
  if (levels[0] !== prefix || levels.length < 3 || levels.length > 4) return undefined;

  const kind = levels[1];
  if (kind !== 'status' && kind !== 'ack') return undefined;

  const service = levels[2] as string;
  const check = levels[3];
  if (!isValidName(service)) return undefined;
  if (check !== undefined && !isValidName(check)) return undefined;

  return { kind, service, check };
}

/** The key a status is stored and shown under: `service` or `service/check`. */
export function statusKey(service: string, check: string | undefined): string {
  return check === undefined ? service : `${service}/${check}`;
}

/**
 * MQTT topic filter matching. Wildcards in the first level never match topics that start
 * with `$` [MQTT-4.7.2-1].
 */
export function filterMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;

  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/** True when every topic `inner` can match is also matched by `outer`. */
export function filterWithin(inner: string, outer: string): boolean {
  const i = inner.split('/');
  const o = outer.split('/');

  for (let n = 0; n < o.length; n++) {
    const level = o[n];
    if (level === '#') return true;
    const sub = i[n];
    if (sub === undefined) return false;
    if (level === '+') {
      if (sub === '#') return false;
      continue;
    }
    if (sub !== level) return false;
  }
  return i.length === o.length;
}
