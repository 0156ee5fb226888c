import { UserError } from '../core/errors.ts';
import { describeHolder, portHolder } from '../core/ports.ts';
import { descendsFrom } from '../core/processes.ts';
import { localPort } from './health.ts';
import type { RuntimeContext } from './runtime.ts';

/**
 * Refuses, before anything changes, when the service's local port is held by something other
 * than the version this tool runs there (`owners`: its PIDs): starting would fail or, worse, a
 * stale server would answer the health check in place of the new version.
 */
export function assertPortIsOurs(url: string, owners: number[], ctx: RuntimeContext): void {
  const port = localPort(url);
  if (port === undefined) return;
  const holder = portHolder(port);
  if (!holder || descendsFrom(holder.pid, owners)) return;
  throw new UserError(
    `${ctx.project.name}: ${describeHolder(port, holder)}, which is not the ${ctx.project.name} this tool runs in ${ctx.envName}, so nothing was changed. ` +
      `Stop it, or give the service another URL (environments.${ctx.envName}.services.${ctx.project.name}.url in deploy.json), and deploy again.`,
  );
}
