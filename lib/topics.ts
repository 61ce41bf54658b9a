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
  // Walks both strings level by level without splitting them: a replay of 10,000 retained
  // statuses runs this for every status and every filter of the subscriber.
  if (topic.charCodeAt(0) === DOLLAR && isWildcardLevel(filter, 0)) return false;

  let f = 0;
  let t = 0;
  for (;;) {
    const fEnd = levelEnd(filter, f);
    if (fEnd - f === 1 && filter.charCodeAt(f) === HASH) return true;
    if (t > topic.length) return false;

    const tEnd = levelEnd(topic, t);
    const plus = fEnd - f === 1 && filter.charCodeAt(f) === PLUS;
    if (!plus && !sameLevel(filter, f, fEnd, topic, t, tEnd)) return false;
    if (fEnd === filter.length) return tEnd === topic.length;
    f = fEnd + 1;
    t = tEnd + 1;
  }
}

const SLASH = 47;
const PLUS = 43;
const HASH = 35;
const DOLLAR = 36;

function levelEnd(text: string, start: number): number {
  const end = text.indexOf('/', start);
  return end < 0 ? text.length : end;
}

function isWildcardLevel(filter: string, start: number): boolean {
  const code = filter.charCodeAt(start);
  const end = start + 1;
  return (
    (code === PLUS || code === HASH) && (end === filter.length || filter.charCodeAt(end) === SLASH)
  );
}

function sameLevel(
  a: string,
  aStart: number,
  aEnd: number,
  b: string,
  bStart: number,
  bEnd: number,
) {
  if (aEnd - aStart !== bEnd - bStart) return false;
  for (let i = 0; i < aEnd - aStart; i++) {
    if (a.charCodeAt(aStart + i) !== b.charCodeAt(bStart + i)) return false;
  }
  return true;
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
