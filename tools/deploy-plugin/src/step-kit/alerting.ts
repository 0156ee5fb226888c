import type { Severity } from '../config/alerts.ts';
import { describeDeliveries } from '../notify/describe-deliveries.ts';
import { notify } from '../notify/notify.ts';
import type { Alert } from '../notify/alert.ts';
import type { RuntimeContext } from '../runtimes/runtime.ts';

/** Alerts on their way: the deploy waits for them before it ends (its process may exit then). */
const inFlight = new Set<Promise<unknown>>();

/** Resolves once every alert sent so far has been delivered or given up on. */
export async function alertsSent(): Promise<void> {
  await Promise.all([...inFlight]);
}

/** The key of a condition of a project in an environment: its trigger and resolve share it. */
export const alertKey = (ctx: RuntimeContext, condition: string) => `${ctx.project.name}/${ctx.envName}/${condition}`;

/**
 * Sends an alert through the environment's channels (deploy.json `alerts`) and returns how it went,
 * for the summary. Best effort: never throws, never changes the deploy's result; an environment
 * with no channel sends nothing. Repeats are held back through the state store.
 */
export async function sendAlert(
  ctx: RuntimeContext,
  a: { condition: string; severity: Severity; action: Alert['action']; title: string; text: string },
): Promise<string | undefined> {
  if (!ctx.env.alerts.channels.length) return undefined;
  const sending = notify(
    {
      key: alertKey(ctx, a.condition),
      severity: a.severity,
      action: a.action,
      title: `${ctx.project.name} in ${ctx.envName}: ${a.title}`,
      text: a.text,
      project: ctx.project.name,
      env: ctx.envName,
      fields: { version: ctx.project.version, commit: ctx.gitSha.slice(0, 12), deploy: ctx.deployId },
    },
    ctx.env.alerts,
    { environ: ctx.environ, redact: ctx.redactor.redact, state: ctx.blobs, now: Date.now, log: (l) => ctx.log.info(l) },
  );
  inFlight.add(sending);
  const deliveries = await sending.finally(() => inFlight.delete(sending));
  return `${a.severity} ${a.action} ${describeDeliveries(deliveries)}`;
}
