import { effectiveSeverity } from '../lib/status-table.js';
import type { Status } from '../lib/status-payload.js';
import { severityRank } from '../lib/severity.js';

/** What an output can be switched on by. */
export const CONDITIONS = ['major', 'minor', 'info', 'stale', 'link-down', 'all-clear'] as const;

export type Condition = (typeof CONDITIONS)[number];

/**
 * How far the monitor trusts its table: `syncing` before the retained replay after a
 * (re)connect has arrived, `up` once it has, `down` after `linkDownAfter` without being up.
 */
export type LinkState = 'syncing' | 'up' | 'down';

/**
 * A status that needs a human: not acknowledged, and either not `ok` or stale (a stale
 * status counts at least as minor).
 */
export function isActive(status: Status): boolean {
  return !status.acknowledged && effectiveSeverity(status) !== 'ok';
}

/** Active statuses, most severe first (the order of StatusTable.list()). */
export function activeStatuses(statuses: readonly Status[]): Status[] {
  return statuses.filter(isActive);
}

/**
 * The conditions that hold. `major`, `minor` and `info` name only the highest active
 * severity. `all-clear` needs a link that is up, so a monitor that cannot see the broker, or
 * has not yet received the retained replay, never shows a reassuring state.
 */
export function conditionsOf(statuses: readonly Status[], link: LinkState): Set<Condition> {
  const active = activeStatuses(statuses);
  const held = new Set<Condition>();

  const top = active.reduce<Status['severity']>((highest, status) => {
    const severity = effectiveSeverity(status);
    return severityRank(severity) > severityRank(highest) ? severity : highest;
  }, 'ok');
  if (top !== 'ok') held.add(top);

  if (active.some((status) => status.stale === true)) held.add('stale');
  if (link === 'down') held.add('link-down');
  if (link === 'up' && active.length === 0) held.add('all-clear');
  return held;
}
