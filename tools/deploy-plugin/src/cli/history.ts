import { describeOutcome } from '../core/rollback.ts';
import type { LedgerRecord, LockStatus } from '../store/state-store.ts';

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
    r.rollback ? `${r.status} (${r.rollback.outcome})` : r.serving ? `${r.status} (serving)` : r.status,
    r.actor,
    r.approver ?? '',
    duration(r),
    [r.artifact, r.backupRef, r.reason?.split('\n')[0], r.rollback && describeOutcome(r.rollback)].filter(Boolean).join('; '),
  ]);
  const widths = head.map((_, c) => Math.max(...[head, ...rows].map((row) => row[c]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join('  ')
      .trimEnd();
  // A service on servers: what serves on each, under its row.
  const lines = [
    line(head),
    ...rows.flatMap((row, i) => [line(row), ...(records[i]!.servers ?? []).map((s) => `    ${s.server}: ${s.state}, serves ${s.serves}`)]),
  ];
  if (damagedLines) lines.push(`(${damagedLines} damaged line(s) skipped: a write was interrupted)`);
  return lines.join('\n');
}

/** One sentence on an environment's lock: free, held (by whom, since when, until when), or stale. */
export function describeLock(env: string, status: LockStatus | undefined): string {
  if (!status) return `${env} is not locked.`;
  const h = status.holder;
  const until = h.expiresAt ? `; lease ${status.stale ? 'expired' : 'runs until'} ${h.expiresAt}` : '';
  const stale = status.stale ? ` - STALE: ${h.expiresAt ? 'the next deploy takes it over' : 'its processes are gone'}` : '';
  return `${env} is locked by ${h.actor} on ${h.host} since ${h.since}: ${h.what} (process ${h.runPid}${h.generation ? `, lease ${h.generation}` : ''}${until})${stale}`;
}
