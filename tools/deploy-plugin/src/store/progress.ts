import type { LedgerRecord } from './state-store.ts';

/** One line on how far a deploy that did not finish got, and what it left serving. */
export function describeProgress(r: LedgerRecord): string {
  const done = (r.steps ?? []).filter((s) => s.status === 'succeeded').map((s) => s.name);
  return [
    done.length ? `it had finished ${done.join(', ')}` : 'no step had finished',
    r.serving ? `${r.version} (${r.gitSha.slice(0, 12)}) serves` : 'the version before it still serves',
    r.image && `image ${r.image}`,
    r.artifact && `artifact ${r.artifact}`,
    r.backupRef && `backup ${r.backupRef}`,
  ]
    .filter(Boolean)
    .join('; ');
}
