import type { Status } from '../../lib/status-payload.js';
import type { TableChange } from '../../lib/status-table.js';
import { statusKey } from '../../lib/topics.js';

/** Longest message shown in a table cell, in characters; JSON output keeps it whole. */
const MESSAGE_COLUMN_WIDTH = 60;

const HEADERS = ['SERVICE', 'CHECK', 'SEVERITY', 'AGE', 'ACK', 'STALE', 'MESSAGE'] as const;

/** "42s", "5m", "3h", "2d": how long ago a report was made. */
export function formatAge(timestamp: string, now: Date): string {
  const seconds = Math.max(0, Math.floor((now.getTime() - Date.parse(timestamp)) / 1000));
  if (Number.isNaN(seconds)) return '?';
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** One line, control characters shown as spaces, cut to the column width. */
function oneLine(text: string, width: number): string {
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return flat.length <= width ? flat : `${flat.slice(0, width - 1)}…`;
}

function row(status: Status, now: Date): string[] {
  return [
    status.service,
    status.check ?? '-',
    status.severity,
    formatAge(status.timestamp, now),
    status.acknowledged ? `yes (${status.acknowledgedBy ?? '?'})` : 'no',
    status.stale === true ? 'yes' : 'no',
    oneLine(status.message, MESSAGE_COLUMN_WIDTH),
  ];
}

/** The statuses as aligned columns, in the order given (most severe first from the table). */
export function renderTable(statuses: Status[], now: Date): string {
  if (statuses.length === 0) return 'no statuses\n';

  const rows = [[...HEADERS], ...statuses.map((status) => row(status, now))];
  const widths = HEADERS.map((_, column) =>
    Math.max(...rows.map((cells) => (cells[column] ?? '').length)),
  );
  const last = HEADERS.length - 1;
  const lines = rows.map((cells) =>
    cells
      .map((cell, column) => (column === last ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
  return `${lines.join('\n')}\n`;
}

/** One line per change for `status --watch` when stdout is not a terminal. */
export function renderChangeLine(change: TableChange, now: Date): string {
  const time = now.toISOString();
  switch (change.kind) {
    case 'set': {
      const { status } = change;
      const key = statusKey(status.service, status.check ?? undefined);
      const flags = [
        status.acknowledged ? `acknowledged by ${status.acknowledgedBy ?? '?'}` : 'unacknowledged',
        ...(status.stale === true ? ['stale'] : []),
      ];
      const message = JSON.stringify(status.message);
      return `${time} ${key} ${status.severity} ${message} ${flags.join(' ')}`;
    }
    case 'delete': {
      const { previous } = change;
      return `${time} ${statusKey(previous.service, previous.check ?? undefined)} cleared`;
    }
  }
}

/** One JSON line per change for `status --watch --json`. */
export function renderChangeJson(change: TableChange): string {
  switch (change.kind) {
    case 'set':
      return JSON.stringify({ change: 'set', topic: change.topic, status: change.status });
    case 'delete':
      return JSON.stringify({ change: 'delete', topic: change.topic, previous: change.previous });
  }
}
