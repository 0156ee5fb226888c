import type { Logger } from '../core/log.ts';
import type { StepResult } from '../step-kit/step.ts';
import { describeProgress } from '../store/progress.ts';
import type { Lease, LedgerRecord, LedgerStore } from '../store/state-store.ts';

/** What the steps so far changed, as the ledger keeps it: the last value of each fact wins. */
export function factsOf(results: StepResult[]): Partial<LedgerRecord> {
  const last = Object.assign({}, ...results.map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined))));
  return {
    ...(last.version ? { version: last.version } : {}),
    ...(last.artifact ? { artifact: last.artifact } : {}),
    ...(last.image ? { image: last.image } : {}),
    ...(last.backupRef ? { backupRef: last.backupRef } : {}),
    ...(last.backupSha256 ? { backupSha256: last.backupSha256 } : {}),
    ...(last.url ? { url: last.url } : {}),
    ...(last.loadtest ? { loadtest: last.loadtest } : {}),
    ...(last.canary ? { canary: last.canary } : {}),
    ...(results.some((r) => r.watches) ? { watches: results.flatMap((r) => r.watches ?? []) } : {}),
    ...(last.servers ? { servers: last.servers } : {}),
    ...(results.some((r) => r.serves) ? { serving: true } : {}),
  };
}

/**
 * Deploys of the environment recorded `started` before the lock now held was taken: whoever ran
 * them died (SIGKILL, a lost runner) without recording an end, since they would hold the lock
 * otherwise. Each is recorded aborted with how far it got, and said.
 */
export async function abortDeadDeploys(ledger: LedgerStore, env: string, lease: Lease, log: Logger): Promise<void> {
  const since = Date.parse(lease.holder.since);
  const dead = (await ledger.read(env)).records.filter((r) => r.status === 'started' && Date.parse(r.startedAt) < since);
  for (const r of dead) {
    const progress = describeProgress(r);
    log.warn(`${r.kind} ${r.project} ${r.version} by ${r.actor} (${r.id}) ended without a record of how: ${progress}; recorded as aborted`);
    await ledger.append({
      ...r,
      status: 'aborted',
      reason: `ended without finishing (its process was killed or its runner lost): ${progress}`,
      finishedAt: new Date().toISOString(),
      ...(lease.generation ? { generation: lease.generation } : {}),
    });
  }
}
