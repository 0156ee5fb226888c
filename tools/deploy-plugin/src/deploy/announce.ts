import { describeOutcome, type RollbackOutcome } from '../core/rollback.ts';
import type { LedgerRecord } from '../store/state-store.ts';
import { alertsSent, sendAlert } from '../step-kit/alerting.ts';
import type { StepContext } from '../step-kit/step.ts';
import { TriggerFired } from '../step-kit/step.ts';

/**
 * After the ledger has the outcome: the deploy as an info event (the runbook's "deploy events"),
 * and the incident a verification trigger opened resolved once the previous version serves again
 * (left open otherwise: someone must act). Best effort; returns what to add to the summary.
 */
export async function announce(ctx: StepContext, record: LedgerRecord, failure: unknown, rollback: RollbackOutcome | undefined): Promise<string[]> {
  if (!ctx.env.alerts.channels.length) return [];
  await alertsSent(); // a trigger's alert goes out before its resolve
  const lines: string[] = [];
  if (failure instanceof TriggerFired && rollback?.outcome === 'restored') {
    const how = await sendAlert(ctx, {
      condition: failure.condition,
      severity: 'critical',
      action: 'resolve',
      title: failure.condition,
      text: describeOutcome(rollback),
    });
    if (how) lines.push(how);
  }
  const how = await sendAlert(ctx, {
    condition: `${record.kind}-${record.id}`,
    severity: 'info',
    action: 'event',
    title: `${record.kind} ${record.version}: ${record.status}`,
    text:
      [record.reason, rollback && describeOutcome(rollback)].filter(Boolean).join('\n') ||
      `${record.kind} ${record.version} (${record.gitSha.slice(0, 12)}) ${record.status}`,
  });
  if (how) lines.push(how);
  return lines;
}
