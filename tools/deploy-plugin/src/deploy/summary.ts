import type { StepRecord } from '../store/state-store.ts';

export interface SummaryRow extends StepRecord {
  project: string;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The table printed at the end of every deploy: project, step, result, time, URL. */
export function renderSummary(title: string, rows: SummaryRow[]): string {
  const table = [['project', 'step', 'result', 'time', 'url'], ...rows.map((r) => [r.project, r.name, r.status, seconds(r.durationMs), r.url ?? ''])];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  const lines = table.map((row) =>
    row
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join('  ')
      .trimEnd(),
  );
  return [title, ...lines.map((l) => `  ${l}`)].join('\n');
}
