import { isIP, isIPv4 } from 'node:net';
import { CertsError } from './errors.js';

/**
 * Subject alternative names of the server certificate. TLS clients match the host they dial
 * against these (RFC 6125): a DNS name against dNSName entries, an IP address only against
 * iPAddress entries, never against the CN.
 */
export type San = { kind: 'dns'; name: string } | { kind: 'ip'; address: string; bytes: Buffer };

/** RFC 1123 labels; a leading "*." wildcard is the one form TLS clients accept. */
const DNS_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

const MAX_DNS_LENGTH = 253;

export function isDnsName(value: string): boolean {
  if (value.length === 0 || value.length > MAX_DNS_LENGTH) return false;

  const labels = value.startsWith('*.') ? value.slice(2).split('.') : value.split('.');
  // An all-numeric last label is a mistyped IPv4 address ("192.168.1.300"), never a host.
  const last = labels[labels.length - 1] ?? '';
  return labels.every((label) => DNS_LABEL.test(label)) && !/^\d+$/.test(last);
}

function ipv4Bytes(address: string): number[] {
  return address.split('.').map((part) => Number(part));
}

/** The 16 bytes of an IPv6 address; "::" and an embedded IPv4 tail are expanded. */
function ipv6Bytes(address: string): number[] {
  let text = address;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (isIPv4(text.slice(lastColon + 1))) {
    tail.push(...ipv4Bytes(text.slice(lastColon + 1)));
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }

  const [head = '', rest] = text.split('::');
  const groupsOf = (part: string) => (part === '' ? [] : part.split(':'));
  const headGroups = groupsOf(head);
  const restGroups = rest === undefined ? [] : groupsOf(rest);
  const zeros = new Array<string>(8 - headGroups.length - restGroups.length).fill('0');
  const groups = [...headGroups, ...zeros, ...restGroups];

  const bytes = groups.flatMap((group) => {
    const value = Number.parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
  if (tail.length > 0) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** Reads one --san value: an IPv4 or IPv6 address, or a DNS name. */
export function parseSan(value: string): San {
  const trimmed = value.trim();
  // A zone id ("fe80::1%eth0") names a local interface; it has no place in a certificate.
  const family = trimmed.includes('%') ? 0 : isIP(trimmed);
  if (family === 4) return { kind: 'ip', address: trimmed, bytes: Buffer.from(ipv4Bytes(trimmed)) };
  if (family === 6) {
    return { kind: 'ip', address: trimmed, bytes: Buffer.from(ipv6Bytes(trimmed)) };
  }
  if (isDnsName(trimmed)) return { kind: 'dns', name: trimmed.toLowerCase() };

  throw new CertsError(
    'BAD_SAN',
    `"${value}" is neither an IP address nor a DNS name`,
    'pass host names like mqtt.example.org or addresses like 192.168.1.50 or fd00::5',
  );
}

/** Parses every value, dropping repeats (same name, or same address in another spelling). */
export function parseSans(values: string[]): San[] {
  const seen = new Set<string>();
  const sans: San[] = [];
  for (const value of values) {
    const san = parseSan(value);
    const key = san.kind === 'dns' ? `dns:${san.name}` : `ip:${san.bytes.toString('hex')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    sans.push(san);
  }
  return sans;
}

/** Splits "a,b" and repeated --san flags into single values. */
export function splitSanList(values: string[]): string[] {
  return values.flatMap((value) => value.split(',')).filter((value) => value.trim() !== '');
}
