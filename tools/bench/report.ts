import type { GoalResult, Metric, Summary } from './figures.js';
import { TARGET_LABELS, type TargetName } from './targets.js';

function formatValue(value: number | undefined, unit: string): string {
  if (value === undefined || Number.isNaN(value)) return 'n/a';
  if (unit === 'ms' && value < 10) return value.toFixed(2);
  if (unit === 'MB') return value.toFixed(1);
  return Math.round(value).toLocaleString('en-US');
}

function formatRatio(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? 'n/a' : `${value.toFixed(2)}x`;
}

/** Columns padded to their widest cell; the first column left-aligned, the rest right. */
export function renderTable(rows: string[][]): string {
  const widths =
    rows[0]?.map((_cell, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ??
    [];
  const render = (row: string[]) =>
    row
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return column === 0 ? cell.padEnd(width) : cell.padStart(width);
      })
      .join('  ');
  const header = rows[0] === undefined ? [] : [render(rows[0])];
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [...header, rule, ...rows.slice(1).map(render)].join('\n');
}

/** The figures side by side, each non-Mosquitto column followed by its ratio to Mosquitto. */
export function figuresTable(
  list: readonly Metric[],
  summary: Summary,
  ratios: Summary,
  targets: readonly TargetName[],
): string {
  const measured = targets.filter((target) => summary[target] !== undefined);
  const withRatio = (target: TargetName) =>
    target !== 'mosquitto' && summary.mosquitto !== undefined;
  const header = ['metric'];
  for (const target of measured) {
    header.push(TARGET_LABELS[target]);
    if (withRatio(target)) header.push('vs Mosq.');
  }

  const rows = list.map((metric) => {
    const row = [`${metric.label} (${metric.unit}, ${metric.better} is better)`];
    for (const target of measured) {
      row.push(formatValue(summary[target]?.[metric.key], metric.unit));
      if (withRatio(target)) row.push(formatRatio(ratios[target]?.[metric.key]));
    }
    return row;
  });
  return renderTable([header, ...rows]);
}

export function goalsTable(goals: readonly GoalResult[]): string {
  const rows = goals.map((goal) => {
    const verdict = goal.met === undefined ? 'not measured' : goal.met ? 'met' : 'MISSED';
    return [goal.goal, goal.detail, verdict];
  });
  return renderTable([['Piminder target', 'measured', 'verdict'], ...rows]);
}
