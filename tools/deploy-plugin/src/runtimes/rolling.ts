import { describeError } from '../core/errors.ts';
import { combineOutcomes, FailedWithRollback, restoreFailed, type RollbackOutcome, type ServerRecord } from '../core/rollback.ts';
import type { Host } from '../core/host.ts';
import type { ServiceProxy } from '../proxy/service-proxy.ts';
import type { KeptVersion, Runtime, RuntimeContext, ServiceSpec, Started } from './runtime.ts';

/**
 * Where a service runs in a roll-out (one of its servers, or this machine): its connection, the
 * service's spec there (its URL, HOST and PORT), and its proxy when its versions sit behind one.
 */
export interface ServerTurn {
  host: Host;
  spec: ServiceSpec;
  proxy?: ServiceProxy;
  keepPreviousWarm?: boolean;
}

/** The runtime's context on one host. */
export function onHost(ctx: RuntimeContext, turn: Pick<ServerTurn, 'host' | 'proxy' | 'keepPreviousWarm'>): RuntimeContext {
  return {
    ...ctx,
    host: turn.host,
    proxy: turn.proxy,
    keepPreviousWarm: turn.keepPreviousWarm,
    ...(turn.host.remote ? { log: ctx.log.child(turn.host.label) } : {}),
  };
}

const on = onHost;

/** Pure: the servers in the order they are rolled, `parallel` at a time. */
export function rollingGroups<T>(servers: T[], parallel: number): T[][] {
  const groups: T[][] = [];
  for (let i = 0; i < servers.length; i += Math.max(1, parallel)) groups.push(servers.slice(i, i + Math.max(1, parallel)));
  return groups;
}

async function servingOn(runtime: Runtime, ctx: RuntimeContext, turn: ServerTurn): Promise<string> {
  return (await runtime.serving?.(on(ctx, turn)).catch(() => undefined)) ?? 'unknown';
}

function record(turn: ServerTurn, serves: string, state: ServerRecord['state']): ServerRecord {
  return { server: turn.host.label, url: turn.spec.url, serves, state };
}

/** The record of a server after its own restore (or the undo of a later step). */
function afterRestore(turn: ServerTurn, outcome: RollbackOutcome): ServerRecord {
  if (outcome.outcome === 'restored') return record(turn, outcome.serving, 'rolled back');
  if (outcome.outcome === 'nothing-to-restore') return record(turn, 'nothing', 'rolled back');
  return record(turn, 'unknown', 'failed');
}

/**
 * Rolls a service out to its servers, `parallel` at a time, each server as the runtime does on
 * this machine (pull, start, health, keeping the previous version). The first group with a server
 * that fails stops the roll-out: that server has already put its previous version back (the
 * runtime does), the servers done so far roll back, newest first, and the rest were never
 * touched. The error's outcome says per server what serves there now.
 */
export async function rollAcross(
  runtime: Runtime,
  turns: ServerTurn[],
  ctx: RuntimeContext,
  parallel: number,
): Promise<{ started: Started[]; servers: ServerRecord[] }> {
  const done: { turn: ServerTurn; started: Started }[] = [];
  const groups = rollingGroups(turns, parallel);
  for (const [g, group] of groups.entries()) {
    ctx.log.info(`▶ ${group.map((t) => t.host.label).join(', ')} (${done.length + group.length} of ${turns.length})`);
    const results = await Promise.allSettled(group.map((turn) => runtime.start(turn.spec, on(ctx, turn))));
    const failed: { turn: ServerTurn; err: unknown }[] = [];
    results.forEach((r, i) =>
      r.status === 'fulfilled' ? done.push({ turn: group[i]!, started: r.value }) : failed.push({ turn: group[i]!, err: r.reason }),
    );
    if (!failed.length) continue;
    const servers: ServerRecord[] = [];
    const outcomes: RollbackOutcome[] = [];
    for (const { turn, err } of failed) {
      if (err instanceof FailedWithRollback) {
        outcomes.push(err.rollback);
        servers.push(afterRestore(turn, err.rollback));
      } else {
        // It failed before it changed anything there (the pull, the engine): what served still does.
        servers.push(record(turn, await servingOn(runtime, ctx, turn), 'unchanged'));
      }
    }
    for (const { turn } of [...done].reverse()) {
      ctx.log.warn(`rolling back ${turn.host.label}`);
      const outcome = await runtime.restore(turn.spec, on(ctx, turn));
      outcomes.push(outcome);
      servers.push(afterRestore(turn, outcome));
    }
    for (const turn of groups.slice(g + 1).flat()) servers.push(record(turn, await servingOn(runtime, ctx, turn), 'unchanged'));
    const order = new Map(turns.map((t, i) => [t.host.label, i]));
    servers.sort((a, b) => order.get(a.server)! - order.get(b.server)!);
    const outcome = combineOutcomes(outcomes) ?? { outcome: 'restored', serving: 'the previous version', detail: 'nothing was changed' };
    const why = failed
      .map(({ turn, err }) => {
        const message = describeError(err, ctx.redactor.redact);
        return message.includes(turn.host.label) ? message : `${turn.host.label}: ${message}`;
      })
      .join('; ');
    throw new FailedWithRollback(`${ctx.project.name}: the roll-out stopped at ${failed.map((f) => f.turn.host.label).join(', ')} (${why})`, {
      ...outcome,
      servers,
    });
  }
  return {
    started: done.map((d) => d.started),
    servers: done.map(({ turn, started }) => record(turn, `${turn.spec.identity.version ?? ctx.project.version} (${started.artifact})`, 'deployed')),
  };
}

/**
 * Undoes a roll-out on every server (a later step failed, or someone asked): each puts its previous
 * version back, all at once: the version going back served before, and every second counts.
 */
export async function restoreAcross(runtime: Runtime, turns: ServerTurn[], ctx: RuntimeContext): Promise<RollbackOutcome> {
  const outcomes = await Promise.all(
    turns.map((turn) =>
      runtime
        .restore(turn.spec, on(ctx, turn))
        .catch((err: unknown) => restoreFailed(`${turn.host.label}: ${describeError(err, ctx.redactor.redact)}`)),
    ),
  );
  return { ...combineOutcomes(outcomes)!, servers: turns.map((turn, i) => afterRestore(turn, outcomes[i]!)) };
}

/** The version kept on every server, or why a rollback cannot go back everywhere to one version. */
export async function previousAcross(runtime: Runtime, turns: ServerTurn[], ctx: RuntimeContext): Promise<KeptVersion | { problem: string }> {
  const kept = await Promise.all(turns.map(async (t) => ({ server: t.host.label, kept: await runtime.previous(on(ctx, t)) })));
  const missing = kept.filter((k) => 'problem' in k.kept);
  if (missing.length) return { problem: missing.map((m) => `${m.server}: ${(m.kept as { problem: string }).problem}`).join('; ') };
  const versions = new Set(kept.map((k) => (k.kept as KeptVersion).names.join(' ')));
  if (versions.size > 1)
    return { problem: `the servers keep different versions (${kept.map((k) => `${k.server}: ${(k.kept as KeptVersion).what}`).join('; ')})` };
  return kept[0]!.kept as KeptVersion;
}
