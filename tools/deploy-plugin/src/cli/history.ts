import { describeOutcome } from '../core/rollback.ts';
import type { LedgerRecord } from '../store/ledger.ts';

function duration(r: LedgerRecord): string {
  if (!r.finishedAt) return '';
  return `${((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000).toFixed(1)} s`;
}

/** The ledger of an environment as a table for people, newest last. */
export function renderHistory(env: string, records: LedgerRecord[], damagedLines: number): string {
  if (!records.length) return `No deploys recorded for ${env}.`;
  const head = ['started', 'project', 'what', 'version', 'git sha', 'status', 'actor', 'approver', 'time', 'artifact / backup / reason'];
  const rows = records.map((r) => [
    r.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    r.project,
    r.kind,
    r.version,
    r.gitSha.slice(0, 8),
    r.rollback ? `${r.status} (${r.rollback.outcome})` : r.status,
    r.actor,
    r.approver ?? '',
    duration(r),
    [r.artifact, r.backupRef, r.reason?.split('\n')[0], r.rollback && describeOutcome(r.rollback)].filter(Boolean).join('; '),
  ]);
  const widths = head.map((_, c) => Math.max(...[head, ...rows].map((row) => row[c]!.length)));
  const lines = [head, ...rows].map((row) =>
    row
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join('  ')
      .trimEnd(),
  );
  if (damagedLines) lines.push(`(${damagedLines} damaged line(s) skipped: a write was interrupted)`);
  return lines.join('\n');
}
