import { join } from 'node:path';
import { parseOrExplain } from '../config/validate.ts';
import { decideApproval, obtainApproval } from '../core/approval.ts';
import { describeError, RolledBack, UserError } from '../core/errors.ts';
import { resolveActor, resolveGitSha } from '../core/identity.ts';
import { Ledger, type LedgerRecord, type StepRecord } from '../core/ledger.ts';
import { EnvLock, type LockLease } from '../core/lock.ts';
import { Runner } from '../core/run.ts';
import type { StepContext, StepDefinition, StepResult } from '../steps/step.ts';
import { openSession } from './session.ts';
import { renderSummary } from './summary.ts';

/** Options every executor accepts besides its own: set by configurations and the command line. */
export const COMMON_OPTION_KEYS = ['environment', 'approve'] as const;

export interface StepRequest {
  step: StepDefinition;
  /** Options as Nx resolved them (target options + configuration + command line). */
  options: Record<string, unknown>;
}

export interface DeployRequest {
  workspaceRoot: string;
  project: { name: string; root: string };
  /** `deploy`, or the step's name when one step runs on its own. */
  kind: string;
  envName: string | undefined;
  approve: boolean;
  steps: StepRequest[];
  environ?: NodeJS.ProcessEnv;
  isTerminal?: boolean;
}

function stepOptions(req: StepRequest, project: string) {
  const own = Object.fromEntries(Object.entries(req.options).filter(([k]) => !(COMMON_OPTION_KEYS as readonly string[]).includes(k)));
  return parseOrExplain(
    req.step.options,
    own,
    `${project}:${req.step.name} options`,
    `Fix them in the target's options (nx.json targetDefaults, project.json or package.json "nx.targets.${req.step.name}.options").`,
  );
}

/**
 * After a failed step: the steps that succeeded and know how to undo themselves (a roll-out)
 * undo, newest first. Returns what was restored, or undefined when nothing was.
 */
async function undoSucceededSteps(steps: { step: StepDefinition; options: unknown }[], ctx: StepContext): Promise<string | undefined> {
  const restored: string[] = [];
  for (const { step, options } of [...steps].reverse()) {
    const result = ctx.outputs[step.name];
    if (!result || result.skipped || !step.rollback) continue;
    ctx.log.warn(`rolling back ${step.name}`);
    restored.push(await step.rollback(options as never, { ...ctx, log: ctx.log.child(step.name) }, result));
  }
  return restored.length ? restored.join('; ') : undefined;
}

/**
 * Runs a project's deploy steps for one environment: validate everything, get approval, take
 * the environment lock, record in the ledger, run the steps in order, print a summary. The lock
 * is released and the ledger updated on success, failure and interrupt alike.
 */
export async function executeDeploy(req: DeployRequest): Promise<{ success: boolean; record?: LedgerRecord }> {
  let session: ReturnType<typeof openSession> | undefined;
  try {
    session = openSession({ workspaceRoot: req.workspaceRoot, project: req.project, envName: req.envName, environ: req.environ });
    const s = session;
    const parsed = req.steps.map((r) => ({ step: r.step, options: stepOptions(r, req.project.name) }));
    if (parsed.length === 0) {
      s.log.info(`nothing to deploy to ${s.plan.envName}: no deploy steps were inferred for ${req.project.name}`);
      return { success: true };
    }
    const runner = new Runner(req.workspaceRoot, s.redactor, s.log);
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
    const lease = new EnvLock(join(s.plan.stateDir, 'locks'), s.plan.envName).acquire(actor, `${req.kind} ${req.project.name}`);
    const gitSha = await resolveGitSha(runner);
    const ctx: StepContext = { ...s.plan, gitSha, runner, log: s.log, redactor: s.redactor, outputs: {} };
    return await runSteps(req, ctx, parsed, { actor, approver, lease });
  } catch (err) {
    const redact = session?.redactor.redact ?? ((t: string) => t);
    const message = describeError(err, redact);
    process.stderr.write(`\n${message.startsWith(`${req.project.name}:`) ? message : `${req.project.name}: ${message}`}\n`);
    return { success: false };
  }
}

async function runSteps(
  req: DeployRequest,
  ctx: StepContext,
  steps: { step: StepDefinition; options: unknown }[],
  who: { actor: string; approver?: string; lease: LockLease },
): Promise<{ success: boolean; record: LedgerRecord }> {
  const ledger = new Ledger(join(ctx.stateDir, 'ledger'), ctx.redactor);
  const record: LedgerRecord = {
    id: ctx.deployId,
    project: ctx.project.name,
    env: ctx.envName,
    kind: req.kind,
    version: ctx.project.version,
    gitSha: ctx.gitSha,
    status: 'started',
    actor: who.actor,
    ...(who.approver ? { approver: who.approver } : {}),
    startedAt: new Date().toISOString(),
    steps: [],
  };
  try {
    ledger.append(record);
  } catch (err) {
    who.lease.release(); // nothing ran: do not leave the environment locked
    throw err;
  }
  const results: StepRecord[] = record.steps!;

  const onSignal = (signal: NodeJS.Signals) => {
    ctx.runner.stopAll();
    ledger.append({ ...record, status: 'aborted', reason: `interrupted by ${signal}`, finishedAt: new Date().toISOString() });
    who.lease.release();
    process.stderr.write(`\n${ctx.project.name}: interrupted by ${signal}; recorded as aborted, lock released\n`);
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let failure: unknown;
  let rolledBack: string | undefined;
  const last: StepResult = {};
  try {
    for (const { step, options } of steps) {
      const started = Date.now();
      ctx.log.info(`▶ ${step.name} (${ctx.envName})`);
      try {
        const result = await step.run(options as never, { ...ctx, log: ctx.log.child(step.name) });
        ctx.outputs[step.name] = result;
        Object.assign(last, Object.fromEntries(Object.entries(result).filter(([, v]) => v !== undefined)));
        const detail = result.skipped ?? result.detail;
        if (result.skipped) ctx.log.info(`${step.name} skipped: ${result.skipped}`);
        results.push({ name: step.name, status: result.skipped ? 'skipped' : 'succeeded', durationMs: Date.now() - started, ...(detail ? { detail } : {}) });
      } catch (err) {
        results.push({ name: step.name, status: 'failed', durationMs: Date.now() - started });
        failure = err;
        ctx.log.warn(describeError(err, ctx.redactor.redact));
        rolledBack = err instanceof RolledBack ? err.restored : await undoSucceededSteps(steps, ctx);
        break;
      }
    }
    for (const { step } of steps.slice(results.length)) results.push({ name: step.name, status: 'skipped', durationMs: 0 });
    const final: LedgerRecord = {
      ...record,
      status: failure ? (rolledBack ? 'rolled_back' : 'failed') : 'succeeded',
      finishedAt: new Date().toISOString(),
      ...(last.artifact ? { artifact: last.artifact } : {}),
      ...(last.image ? { image: last.image } : {}),
      ...(last.backupRef ? { backupRef: last.backupRef } : {}),
      ...(last.url ? { url: last.url } : {}),
      ...(failure ? { reason: describeError(failure, ctx.redactor.redact) + (rolledBack ? `; ${rolledBack}` : '') } : {}),
    };
    ledger.append(final);
    ctx.log.info(
      renderSummary(
        `${req.kind} ${ctx.project.name} ${ctx.project.version} to ${ctx.envName} (${ctx.gitSha.slice(0, 8)}): ${final.status}`,
        results.map((r) => ({ ...r, project: ctx.project.name, url: r.name === 'smoke' || r.name === 'rollout' ? last.url : undefined })),
      ),
    );
    if (failure) {
      if (rolledBack && !(failure instanceof RolledBack)) throw new UserError(`${describeError(failure, (t) => t)}\n${rolledBack}`);
      throw failure;
    }
    return { success: true, record: final };
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    who.lease.release();
  }
}
