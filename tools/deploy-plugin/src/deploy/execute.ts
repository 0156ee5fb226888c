import type { ProjectRef } from '../config/context.ts';
import { parseOrExplain } from '../config/validate.ts';
import { describeError, UserError } from '../core/errors.ts';
import { combineOutcomes, describeOutcome, failedStatus, FailedWithRollback, restoreFailed, type RollbackOutcome } from '../core/rollback.ts';
import { Runner } from '../core/run.ts';
import { openStore, openStoreToRead } from '../store/open.ts';
import { describePin, Pins } from '../store/pins.ts';
import { ServerPool } from '../hosts/server-pool.ts';
import { LeaseLost, type Lease, type LedgerRecord, type LedgerStore, type StateStore, type StepRecord } from '../store/state-store.ts';
import { StepFailedWithResult, type StepContext, type StepDefinition } from '../step-kit/step.ts';
import { announce } from './announce.ts';
import { decideApproval, obtainApproval } from './approval.ts';
import { resolveActor, resolveGitSha } from './identity.ts';
import { stateOf } from '../config/environments.ts';
import { acquireLock } from './lock-wait.ts';
import { abortDeadDeploys, factsOf } from './progress.ts';
import { openSession, type Session } from './session.ts';
import { renderSummary } from './summary.ts';
import { wantsReport, writeReport } from '../report/report-file.ts';
import { keepForRunSummary } from './run-summary.ts';
import { deployVersion } from './version.ts';

/** Options every executor accepts besides its own: set by configurations and the command line. */
export const COMMON_OPTION_KEYS = ['environment', 'approve', 'force', 'lockWait', 'lock-wait'] as const;

export interface StepRequest {
  /** The target (and step) name. */
  name: string;
  step: StepDefinition;
  /** Options as Nx resolved them (target options + configuration + command line). */
  options: Record<string, unknown>;
}

export interface DeployRequest {
  workspaceRoot: string;
  project: ProjectRef;
  /** `deploy`, or the step's name when one step runs on its own. */
  kind: string;
  envName: string | undefined;
  approve: boolean;
  steps: StepRequest[];
  environ?: NodeJS.ProcessEnv;
  isTerminal?: boolean;
  /** How long to wait for the environment's lock when someone else holds it (--lock-wait); 0: fail at once. */
  lockWaitMs?: number;
  /** The version this run puts in service when it is not the workspace's (a rollback: the release's). */
  version?: string;
  /** Deploy although a manual rollback pinned the project here (and release the pin when it succeeds). */
  force?: boolean;
}

interface ParsedStep {
  name: string;
  step: StepDefinition;
  options: unknown;
}

/** What an interrupt must clean up: filled in as the deploy gets further. */
interface InFlight {
  runner?: Runner;
  servers?: ServerPool;
  lease?: Lease;
  stopWatching?: () => void;
  ledger?: LedgerStore;
  record?: LedgerRecord;
}

export function withoutCommonOptions(options: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).filter(([k]) => !(COMMON_OPTION_KEYS as readonly string[]).includes(k)));
}

function parseStep(req: StepRequest, project: string): ParsedStep {
  const options = parseOrExplain(
    req.step.options,
    withoutCommonOptions(req.options),
    `${project}:${req.name} options`,
    `Fix them in the target's options (nx.json targetDefaults, project.json or package.json "nx.targets.${req.name}.options").`,
  );
  return { name: req.name, step: req.step, options };
}

const stepContext = (ctx: StepContext, name: string): StepContext => ({ ...ctx, log: ctx.log.child(name) });

/**
 * After a failed step: the steps that succeeded and know how to undo themselves undo, newest
 * first. Undefined when none had anything to undo (nothing was switched).
 */
async function undoSucceededSteps(steps: ParsedStep[], ctx: StepContext): Promise<RollbackOutcome | undefined> {
  const outcomes: RollbackOutcome[] = [];
  for (const [i, { name, step, options }] of [...steps.entries()].reverse()) {
    const result = ctx.results[i];
    if (!result || result.skipped || !step.rollback) continue;
    ctx.log.warn(`rolling back ${name}`);
    const outcome = await step
      .rollback(options as never, stepContext(ctx, name), result)
      .catch((err: unknown) => restoreFailed(`${name}: ${describeError(err, ctx.redactor.redact)}`));
    if (outcome) outcomes.push(outcome);
  }
  return combineOutcomes(outcomes);
}

/**
 * Runs a project's deploy steps for one environment: validate everything, open the state store,
 * get approval, take the environment lock, check every step can start, record in the ledger, run
 * the steps in order, undo what ran when one fails, print a summary. An interrupt, a failure, a
 * lost lock or success alike release the lock and leave the ledger saying what happened.
 */
export async function executeDeploy(req: DeployRequest): Promise<{ success: boolean; record?: LedgerRecord }> {
  let session: Session | undefined;
  const inFlight: InFlight = {};
  const interrupt = new AbortController();
  /** The last resort: record the deploy aborted, let go of the lock, and exit. */
  const abortNow = async (reason: string) => {
    const { ledger, record, lease } = inFlight;
    if (ledger && record) await ledger.append({ ...record, status: 'aborted', reason, finishedAt: new Date().toISOString() }).catch(() => undefined);
    await lease?.release().catch(() => undefined);
    inFlight.servers?.discard();
    process.stderr.write(
      `\n${req.project.name}: ${reason}; ${record ? 'recorded as aborted' : 'nothing had run'}${lease ? ', lock released' : ''}\n`,
    );
    process.exit(130);
  };
  // Installed before the lock is taken, so no interrupt can leave a lock behind. The first signal
  // stops the running command and lets the deploy undo what it did and record it aborted (within
  // 30 s); a second one ends it at once.
  const onSignal = (signal: NodeJS.Signals) => {
    // Under Nx, Ctrl-C reaches a task twice (SIGINT to the group, then Nx's SIGTERM): the record says the first.
    if (interrupt.signal.aborted) return void abortNow(String(interrupt.signal.reason));
    const reason = `interrupted by ${signal}`;
    interrupt.abort(reason);
    inFlight.runner?.stopAll();
    if (!inFlight.record) return void abortNow(reason);
    process.stderr.write(`\n${req.project.name}: ${reason}; undoing what ran (send it again to stop at once)\n`);
    setTimeout(() => void abortNow(reason), 30_000).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    session = openSession({
      workspaceRoot: req.workspaceRoot,
      project: req.project,
      envName: req.envName,
      target: `${req.project.name}:${req.kind}`,
      environ: req.environ,
    });
    const s = session;
    const steps = req.steps.map((r) => parseStep(r, req.project.name));
    // A project with no deploy steps is still recorded: its deploy at this commit is what
    // `affected` measures changes from.
    if (steps.length === 0)
      s.log.info(`no deploy steps were inferred for ${req.project.name}: recording the deploy of this commit to ${s.plan.envName}`);
    const runner = new Runner(req.workspaceRoot, s.redactor, s.log);
    inFlight.runner = runner;
    // Opened (and an S3 store checked) before anything else: a store that is down fails here.
    const stores = new Map<string, Promise<StateStore>>();
    const storeOf = (env: string) => {
      const storeCtx = { workspaceRoot: req.workspaceRoot, environ: s.plan.environ, redactor: s.redactor };
      if (!stores.has(env))
        stores.set(env, env === s.plan.envName ? openStore(s.file, env, storeCtx) : openStoreToRead(s.file, env, s.plan.envName, storeCtx));
      return stores.get(env)!;
    };
    const store = await storeOf(s.plan.envName);
    // A manual rollback pinned the project here: the next merge must not silently undo it.
    const pin = req.kind === 'deploy' ? await new Pins(store.blobs).get(s.plan.envName, req.project.name) : undefined;
    if (pin && !req.force) {
      s.log.warn(`${describePin(req.project.name, s.plan.envName, pin)}: skipped`);
      return { success: true };
    }
    if (pin) s.log.warn(`deploying despite the pin (--force): ${pin.actor}'s rollback of ${pin.at} is released when this deploy succeeds`);
    const actor = await resolveActor(runner, s.plan.environ);
    const decision = decideApproval({
      envName: s.plan.envName,
      env: s.env,
      approveFlag: req.approve,
      isTerminal: req.isTerminal ?? Boolean(process.stdin.isTTY),
      actor,
      environ: s.plan.environ,
    });
    const approver = await obtainApproval(decision, s.plan.envName);
    const lease = await acquireLock(
      store.locks,
      s.plan.envName,
      { actor, what: `${req.kind} ${req.project.name}`, warn: (m) => s.log.warn(m) },
      { waitMs: req.lockWaitMs ?? 0, log: s.log },
    );
    inFlight.lease = lease;
    // A lease that is not held stops everything: no command starts, and waits (a verification
    // window, a health wait) end at once instead of at their step's end.
    runner.guard(() => lease.lost());
    const leaseWatch = watchLease(lease);
    inFlight.stopWatching = leaseWatch.stop;
    const gitSha = await resolveGitSha(runner);
    const ledger = store.ledger;
    // Every blob this deploy writes (service state, pins, site releases, backups) is fenced like its ledger records.
    const blobs = lease.generation && store.blobs.fenced ? store.blobs.fenced(s.plan.envName, lease.generation) : store.blobs;
    const servers = new ServerPool({ envName: s.plan.envName, env: s.env, environ: s.plan.environ, runner });
    inFlight.servers = servers;
    const ctx: StepContext = {
      ...s.plan,
      project: { ...s.plan.project, version: req.version ?? deployVersion(s.plan.project.version, gitSha) },
      gitSha,
      runner,
      log: s.log,
      redactor: s.redactor,
      signal: AbortSignal.any([interrupt.signal, leaseWatch.signal]),
      results: [],
      ledger,
      blobs,
      ledgerOf: async (env) => (await storeOf(env)).ledger,
      servers,
      sharedState: stateOf(s.file, s.plan.envName).backend === 's3',
    };
    for (const { name, step, options } of steps) await step.preflight?.(options as never, stepContext(ctx, name));
    const record: LedgerRecord = {
      id: ctx.deployId,
      project: ctx.project.name,
      env: ctx.envName,
      kind: req.kind,
      version: ctx.project.version,
      gitSha,
      status: 'started',
      actor,
      ...(approver ? { approver } : {}),
      startedAt: new Date().toISOString(),
      steps: [],
      ...(lease.generation ? { generation: lease.generation } : {}),
    };
    if (!lease.generation) await abortDeadDeploys(ledger, s.plan.envName, lease, s.log); // a shared store's lease does it when taken over
    await ledger.append(record);
    Object.assign(inFlight, { ledger, record });
    const done = await runSteps(req, ctx, steps, record, lease, inFlight);
    if (pin && done.success) await new Pins(blobs).unpin(ctx.envName, ctx.project.name);
    return done;
  } catch (err) {
    const message = describeError(err, session?.redactor.redact ?? ((t: string) => t));
    process.stderr.write(`\n${message.startsWith(`${req.project.name}:`) ? message : `${req.project.name}: ${message}`}\n`);
    return { success: false };
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    inFlight.stopWatching?.();
    // Closing SSH connections changes nothing a newer lease holder relies on: allowed even after a loss.
    inFlight.runner?.guard(() => undefined);
    await inFlight.servers
      ?.close()
      .catch((err: unknown) => process.stderr.write(`${req.project.name}: closing the SSH connections failed: ${(err as Error).message}\n`));
    await inFlight.lease
      ?.release()
      .catch((err: unknown) => process.stderr.write(`${req.project.name}: the lock could not be released: ${(err as Error).message}\n`));
    if (interrupt.signal.aborted) process.exit(130);
  }
}

/** After a deploy succeeded: each step lets go of what it kept in case the deploy failed; a failure there is said, not fatal. */
async function finishSteps(steps: ParsedStep[], ctx: StepContext): Promise<void> {
  for (const [i, { name, step, options }] of steps.entries()) {
    const result = ctx.results[i];
    if (!result || result.skipped || !step.finish) continue;
    await step
      .finish(options as never, stepContext(ctx, name), result)
      .catch((err: unknown) => ctx.log.warn(`${name}: cleaning up after the deploy failed: ${describeError(err, ctx.redactor.redact)}`));
  }
}

/** Stops a deploy before its next step (or its undo) when it was interrupted or lost its lock. */
function mustStop(ctx: StepContext, lease: Lease, before: string): Error | undefined {
  if (ctx.signal.aborted) return new UserError(`${String(ctx.signal.reason)} before ${before}`);
  const lost = lease.lost();
  return lost ? new LeaseLost(`${lost}, so this deploy stopped before ${before}: another deploy may be running now`) : undefined;
}

async function runSteps(
  req: DeployRequest,
  ctx: StepContext,
  steps: ParsedStep[],
  record: LedgerRecord,
  lease: Lease,
  inFlight: InFlight,
): Promise<{ success: boolean; record: LedgerRecord }> {
  const done: StepRecord[] = [];
  let failure: unknown;
  let rollback: RollbackOutcome | undefined;
  for (const { name, step, options } of steps) {
    const started = Date.now();
    const startedAt = new Date(started).toISOString();
    try {
      const stop = mustStop(ctx, lease, name);
      if (stop) throw stop;
      ctx.log.info(`▶ ${name} (${ctx.envName})`);
      const result = await step.run(options as never, stepContext(ctx, name));
      ctx.results.push(result);
      const detail = result.skipped ?? result.detail;
      if (result.skipped) ctx.log.info(`${name} skipped: ${result.skipped}`);
      done.push({
        name,
        startedAt,
        status: result.skipped ? 'skipped' : 'succeeded',
        durationMs: Date.now() - started,
        ...(detail ? { detail } : {}),
        ...(result.url ? { url: result.url } : {}),
      });
      // What it changed is in the ledger before the next step: a deploy killed now still tells what serves.
      if (!result.skipped) {
        const progress: LedgerRecord = { ...record, steps: [...done], ...factsOf(ctx.results) };
        await ctx.ledger.append(progress);
        inFlight.record = progress; // a second interrupt records it aborted with this much known
      }
    } catch (err) {
      done.push({ name, startedAt, status: 'failed', durationMs: Date.now() - started });
      if (err instanceof StepFailedWithResult) ctx.results.push(err.result);
      failure = err;
      ctx.log.warn(describeError(err, ctx.redactor.redact));
      // A lost lock means someone else deploys now: undoing would undo their work.
      const undoing = new Date().toISOString();
      rollback = err instanceof FailedWithRollback ? err.rollback : lease.lost() ? undefined : await undoSucceededSteps(steps, ctx);
      if (rollback) rollback = { ...rollback, startedAt: rollback.startedAt ?? undoing, finishedAt: rollback.finishedAt ?? new Date().toISOString() };
      break;
    }
  }
  for (const { name } of steps.slice(done.length)) done.push({ name, status: 'skipped', durationMs: 0 });
  if (!failure) await finishSteps(steps, ctx);
  const interrupted = ctx.signal.aborted ? String(ctx.signal.reason) : undefined;
  // `serving` describes a deploy under way; a finished one says what serves by its status.
  const { serving: _, servers, ...facts } = factsOf(ctx.results);
  const final: LedgerRecord = {
    ...record,
    status: interrupted ? 'aborted' : failure ? failedStatus(rollback) : 'succeeded',
    finishedAt: new Date().toISOString(),
    steps: done,
    ...facts,
    ...((rollback?.servers ?? servers) ? { servers: rollback?.servers ?? servers } : {}),
    ...(interrupted ? { reason: interrupted } : failure ? { reason: describeError(failure, ctx.redactor.redact) } : {}),
    ...(rollback ? { rollback } : {}),
  };
  inFlight.record = undefined; // from here an interrupt must not overwrite the outcome with 'aborted'
  await ctx.ledger.append(final);
  keepForRunSummary(ctx.stateDir, final, ctx.environ);
  const alerts = await announce(ctx, final, failure, rollback);
  const reported = alerts.length ? { ...final, alerts } : final;
  // The alerts go out after the outcome is recorded (a slow channel must not leave it unwritten); then they join it.
  if (alerts.length)
    await ctx.ledger.append(reported).catch((err: Error) => ctx.log.warn(`the alerts sent were not added to the ledger: ${err.message}`));
  if (wantsReport(reported)) {
    try {
      ctx.log.info(`report: ${writeReport(ctx.stateDir, reported, ctx.environ)}`);
    } catch (err) {
      ctx.log.warn(`the deploy report was not written (\`nx-deploy report ${final.id}\` makes it from the ledger): ${(err as Error).message}`);
    }
  }
  const title = `${req.kind} ${ctx.project.name} ${final.version} to ${ctx.envName} (${ctx.gitSha.slice(0, 8)}): ${final.status}`;
  ctx.log.info(
    renderSummary(
      [
        title,
        ...(rollback ? [describeOutcome(rollback)] : []),
        ...(final.servers ?? []).map((s) => `${s.server} (${s.url}): ${s.state}, serves ${s.serves}`),
        ...alerts.map((a) => `alerts: ${a}`),
      ].join('\n  '),
      done.map((r) => ({ ...r, project: ctx.project.name })),
    ),
  );
  if (!failure) return { success: true, record: final };
  if (rollback) throw new UserError(`${describeError(failure, (t) => t)}\n${describeOutcome(rollback)}`);
  throw failure;
}

/** A signal aborted (with the reason) as soon as the lease is no longer held, checked twice a second. */
function watchLease(lease: Lease): { signal: AbortSignal; stop: () => void } {
  const lost = new AbortController();
  const timer = setInterval(() => {
    const reason = lease.lost();
    if (reason) {
      lost.abort(`${reason}; this deploy stopped acting`);
      clearInterval(timer);
    }
  }, 500);
  timer.unref();
  return { signal: lost.signal, stop: () => clearInterval(timer) };
}
