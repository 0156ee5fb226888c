import type { Slot, SlotRoute } from '../commands/haproxy.ts';
import { FailedWithRollback, nothingToRestore, restored, restoreFailed, type RollbackOutcome } from '../core/rollback.ts';
import type { Host } from '../core/host.ts';
import type { PlannedAction } from '../core/plan.ts';
import type { PlanContext } from '../config/context.ts';
import { freePortOn, type ServiceProxy } from '../proxy/service-proxy.ts';
import { waitHealthy } from './health.ts';
import { hostOf, type RuntimeContext, type ServiceSpec } from './runtime.ts';
import { proxyMode } from './traffic.ts';

/** A version of a service behind the proxy: the slot and private port it listens on, what it is. */
export interface PrivateRun {
  slot: Slot;
  port: number;
  version: string;
  gitSha: string;
  deployId: string;
  /** Its health URL as the host it runs on sees it (that host's loopback). */
  health: string;
}

/** The versions a runtime keeps for a service on one host. */
export interface Versions<R> {
  current?: R;
  previous?: R;
  /** While a roll-out runs: the one before `previous`, let go of once the whole deploy succeeded. */
  earlier?: R;
}

/** The primitives a runtime gives the cut-over, for one version on one host. */
export interface VersionOps<R extends PrivateRun> {
  /** Starts a new version listening on 127.0.0.1:`at.port`, with the spec's settings. Throws when it cannot start. */
  launch(spec: ServiceSpec, at: { slot: Slot; port: number }, ctx: RuntimeContext): Promise<R>;
  /** Why it does not run now (exited, gone), or undefined while it runs. */
  notRunning(run: R, ctx: RuntimeContext): Promise<string | undefined>;
  /** Stops it; it stays kept for a rollback. */
  stop(run: R, ctx: RuntimeContext): Promise<void>;
  /** Starts a kept version again: its record as it runs now, or why it cannot. */
  resume(run: R, ctx: RuntimeContext): Promise<{ run: R } | { problem: string }>;
  /** Removes it for good. */
  remove(run: R, ctx: RuntimeContext): Promise<void>;
  /** `0.1.0 (registry/api@sha256:...)` */
  describe(run: R): string;
  /** Its last log lines, for a version that never became healthy. */
  logs(run: R, ctx: RuntimeContext): Promise<string>;
  read(ctx: RuntimeContext): Promise<Versions<R>>;
  /** Records the versions (the runtime keeps its other fields as they are). */
  write(versions: Versions<R>, ctx: RuntimeContext): Promise<void>;
}

/**
 * The roll-out's plan when the service is behind its proxy: `launch` (the runtime's own way to
 * start a version) on a private port beside the serving version, and its health there. Undefined
 * when the environment has no proxy (the runtime plans its replacement on the service's port).
 */
export function planBeside(spec: ServiceSpec, ctx: PlanContext, launch: PlannedAction[]): PlannedAction[] | undefined {
  const mode = proxyMode(ctx);
  if (mode === 'off') return undefined;
  const where = mode === 'auto' ? ' (where HAProxy is installed; elsewhere the running version is replaced on its port, as with proxy.mode off)' : '';
  return [
    { title: `pick a free private port on 127.0.0.1 and the slot the serving version does not use${where}` },
    ...launch,
    {
      title: `wait until 127.0.0.1:<private port>${spec.health.path} answers ${spec.health.expects} from the new version; if not, it is removed and the serving version never stopped (no request reaches the new one before the cut-over)`,
    },
  ];
}

/** A URL as its host sees it, as this machine reaches it: a server's loopback through a forwarded port. */
export async function reachUrl(host: Host, url: string): Promise<string> {
  const u = new URL(url);
  if (!host.remote) return url;
  const at = await host.reach({ host: u.hostname, port: Number(u.port) });
  u.hostname = at.host;
  u.port = String(at.port);
  return u.href.replace(/\/$/, '');
}

async function healthyAt<R extends PrivateRun>(ops: VersionOps<R>, run: R, spec: ServiceSpec, ctx: RuntimeContext, signal?: AbortSignal) {
  return waitHealthy({
    signal,
    url: await reachUrl(hostOf(ctx), run.health),
    ok: spec.health.ok,
    deadlineMs: spec.startTimeoutMs,
    expect: { version: run.version, gitSha: run.gitSha },
    gone: () => ops.notRunning(run, ctx),
  });
}

const routeTo = (run: PrivateRun | undefined, weight: number): Partial<Record<Slot, SlotRoute>> =>
  run ? { [run.slot]: { port: run.port, weight } } : {};

/**
 * Starts the new version beside the one serving: the slot the serving one does not use, a private
 * port free on that host, its health checked there. No request reaches it until the cut-over step
 * switches the proxy; if it never becomes healthy it is removed and nothing else changed. Returns
 * its record and where this machine reaches it directly (for the smoke test and verification).
 */
export async function startBeside<R extends PrivateRun>(
  ops: VersionOps<R>,
  spec: ServiceSpec,
  ctx: RuntimeContext,
): Promise<{ run: R; direct: string }> {
  const host = hostOf(ctx);
  const before = await ops.read(ctx);
  // A deploy that ended before it settled (killed) left its `earlier`: it goes now.
  if (before.earlier) await ops.remove(before.earlier, ctx);
  const slot: Slot = before.current?.slot === 'a' ? 'b' : 'a';
  const port = await freePortOn(host);
  const run = await ops.launch(spec, { slot, port }, ctx);
  // Recorded before it is judged: whatever happens next, a restore knows every version.
  await ops.write(
    { current: run, ...(before.current ? { previous: before.current } : {}), ...(before.previous ? { earlier: before.previous } : {}) },
    ctx,
  );
  const failure = await healthyAt(ops, run, spec, ctx, ctx.signal);
  if (failure) {
    ctx.log.warn(`the new version is not healthy on 127.0.0.1:${port} (${failure}); its last log lines:\n${await ops.logs(run, ctx)}`);
    await ops.remove(run, ctx);
    await ops.write({ ...(before.current ? { current: before.current } : {}), ...(before.previous ? { previous: before.previous } : {}) }, ctx);
    const outcome = before.current
      ? restored(ops.describe(before.current), 'it never stopped serving: the new version got no request')
      : nothingToRestore('a first deploy: nothing served before');
    throw new FailedWithRollback(`${ctx.project.name}: the new version did not become healthy on its private port ${port} (${failure})`, outcome);
  }
  ctx.log.info(
    `${ops.describe(run)} is healthy on 127.0.0.1:${port}${host.remote ? ` of ${host.label}` : ''} (slot ${slot}); no request reaches it yet`,
  );
  return { run, direct: await reachUrl(host, `http://127.0.0.1:${port}`) };
}

/** Traffic on one host: `weight` percent to the version this deploy started, the rest to the one before. */
export async function shift<R extends PrivateRun>(ops: VersionOps<R>, proxy: ServiceProxy, weight: number, ctx: RuntimeContext): Promise<void> {
  const { current, previous } = await ops.read(ctx);
  if (!current) throw new Error(`internal: no version of ${ctx.project.name} to send traffic to`);
  await proxy.route({ ...routeTo(previous, 100 - weight), ...routeTo(current, weight) });
}

/**
 * Puts the version before back: while it still runs (warm) only the proxy switches back (no
 * restart); else it is started again, checked healthy on its private port, then switched to. The
 * version that served after it is removed. The outcome says which.
 */
export async function restoreBehind<R extends PrivateRun>(
  ops: VersionOps<R>,
  spec: ServiceSpec,
  ctx: RuntimeContext,
  proxy: ServiceProxy,
): Promise<RollbackOutcome> {
  const { current, previous, earlier } = await ops.read(ctx);
  if (!current) return nothingToRestore();
  const on = ctx.host?.remote ? ` on ${ctx.host.label}` : '';
  if (!previous) {
    await ops.remove(current, ctx);
    await ops.write({}, ctx);
    return nothingToRestore();
  }
  const started = Date.now();
  if (previous.slot === undefined) return restoreFromBeforeTheProxy(ops, spec, ctx, proxy, { current, previous });
  const warm = !(await ops.notRunning(previous, ctx));
  let back = previous;
  if (!warm) {
    const resumed = await ops.resume(previous, ctx);
    if ('problem' in resumed) return restoreFailed(`${ops.describe(previous)} could not be started again${on}: ${resumed.problem}`);
    back = resumed.run;
    const failure = await healthyAt(ops, back, spec, ctx);
    if (failure)
      return restoreFailed(`started ${ops.describe(previous)} again${on}, but it is not healthy on its private port ${back.port} (${failure})`);
  }
  await proxy.ensure(ctx.log);
  await proxy.route({ ...routeTo(back, 100), ...routeTo(current, 0) });
  await ops.remove(current, ctx);
  // A roll-out that failed leaves things as they were (its `earlier` is the previous one's previous).
  await ops.write({ current: back, ...(earlier ? { previous: earlier } : {}) }, ctx);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const how = warm ? `switched back to the warm previous version in ${seconds} s` : `started again and switched to in ${seconds} s`;
  ctx.log.info(`rolled back${on}: ${ops.describe(back)} serves again (${how})`);
  return restored(ops.describe(back), how);
}

/**
 * The version before was deployed before the proxy, listening on the service's own port: the proxy
 * lets go of that port and the old version serves there again, as it did.
 */
async function restoreFromBeforeTheProxy<R extends PrivateRun>(
  ops: VersionOps<R>,
  spec: ServiceSpec,
  ctx: RuntimeContext,
  proxy: ServiceProxy,
  { current, previous }: { current: R; previous: R },
): Promise<RollbackOutcome> {
  await proxy.stop();
  await ops.remove(current, ctx);
  const resumed = await ops.resume(previous, ctx);
  if ('problem' in resumed) return restoreFailed(`${ops.describe(previous)} (from before the proxy) could not be started again: ${resumed.problem}`);
  await ops.write({ current: resumed.run }, ctx);
  const failure = await waitHealthy({
    url: await reachUrl(hostOf(ctx), resumed.run.health),
    ok: spec.health.ok,
    deadlineMs: spec.startTimeoutMs,
    expect: { version: resumed.run.version, gitSha: resumed.run.gitSha },
    gone: () => ops.notRunning(resumed.run, ctx),
  });
  if (failure) return restoreFailed(`started ${ops.describe(previous)} again on the service's own port, but it is not healthy (${failure})`);
  return restored(ops.describe(previous), "the proxy stopped and the version from before it serves on the service's port again");
}

/**
 * The whole deploy succeeded: the version before it stops (kept for a manual rollback) unless
 * the environment keeps it warm until the next deploy, and the one before that goes.
 */
export async function settleBehind<R extends PrivateRun>(ops: VersionOps<R>, ctx: RuntimeContext, keepWarm: boolean): Promise<void> {
  const { current, previous, earlier } = await ops.read(ctx);
  if (earlier) await ops.remove(earlier, ctx);
  if (previous && !keepWarm && !(await ops.notRunning(previous, ctx))) await ops.stop(previous, ctx);
  if (earlier) await ops.write({ ...(current ? { current } : {}), ...(previous ? { previous } : {}) }, ctx);
}
