export const SEVERITIES = ['ok', 'info', 'minor', 'major'] as const;

export type Severity = (typeof SEVERITIES)[number];

const RANK: Record<Severity, number> = { ok: 0, info: 1, minor: 2, major: 3 };

export function severityRank(severity: Severity): number {
  return RANK[severity];
}

export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}

/** The more severe of two severities. */
export function maxSeverity(a: Severity, b: Severity): Severity {
  return RANK[a] >= RANK[b] ? a : b;
}
