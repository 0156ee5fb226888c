import type { LedgerRecord } from '../store/state-store.ts';

/** What serves a project in an environment, as far as its ledger tells. */
export type Serving =
  | { state: 'serving'; version: string; gitSha: string; since: string; by: string; id: string; inProgress?: boolean }
  | { state: 'nothing' | 'unknown'; why: string; id: string };

/**
 * Pure: what serves now, from a project's records (oldest first): the newest deploy or rollback
 * that succeeded, skipping deploys that rolled back or failed before changing anything; a restore
 * that failed, or a deploy that died while serving, makes it unknown. Single steps run alone
 * (a smoke test, a migration) change nothing that serves.
 */
export function servingNow(records: LedgerRecord[]): Serving | undefined {
  for (const r of [...records].reverse()) {
    if (r.kind !== 'deploy' && r.kind !== 'rollback') continue;
    const found = { version: r.version, gitSha: r.gitSha, since: r.finishedAt ?? r.startedAt, by: r.actor, id: r.id };
    if (r.status === 'succeeded') return { state: 'serving', ...found };
    if (r.status === 'started' && r.serving) return { state: 'serving', ...found, inProgress: true };
    if (r.rollback?.outcome === 'restore-failed')
      return { state: 'unknown', why: `the rollback of ${r.version} failed: ${r.rollback.detail}`, id: r.id };
    if (r.rollback?.outcome === 'nothing-to-restore') return { state: 'nothing', why: r.rollback.detail, id: r.id };
    if (r.status === 'aborted' && r.serving) return { state: 'unknown', why: `the deploy of ${r.version} was aborted while it served`, id: r.id };
  }
  return undefined;
}
