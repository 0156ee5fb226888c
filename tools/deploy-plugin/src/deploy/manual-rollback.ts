import { SiteReleases } from '../cdn/releases.ts';
import { rollbackTarget } from '../cdn/retention.ts';
import type { ProjectRef } from '../config/context.ts';
import { UserError } from '../core/errors.ts';
import type { LedgerRecord, StateStore } from '../store/state-store.ts';
import { Pins } from '../store/pins.ts';
import { cdnRollbackStep } from '../rollback-steps/cdn-rollback.ts';
import { databaseRollbackStep } from '../rollback-steps/database-rollback.ts';
import { serviceRollbackStep } from '../rollback-steps/service-rollback.ts';
import { executeDeploy, withoutCommonOptions, type StepRequest } from './execute.ts';

/** A project as a rollback needs it: its role tags and its roll-out's options in this environment. */
export interface RollbackProject extends ProjectRef {
  tags: string[];
  rolloutOptions: Record<string, unknown>;
}

export interface ManualRollbackRequest {
  workspaceRoot: string;
  envName: string;
  store: StateStore;
  name: string;
  /** Read only for a backend: a frontend's rollback needs no Nx project graph, so it stays quick. */
  project: () => Promise<RollbackProject | undefined>;
  to?: string;
  database: boolean;
  approve: boolean;
  lockWaitMs: number;
}

/**
 * `nx-deploy rollback <project>` and the `rollback` target: a frontend with CDN releases serves
 * an earlier release again (the one before, or `to`), no upload; a backend starts the version that
 * served before again and, with `database`, restores the backup its last deploy took. Either way
 * under the environment's lock and approval, refused before anything changes when the target is
 * gone, and recorded in the ledger as a `rollback`.
 */
export async function manualRollback(req: ManualRollbackRequest): Promise<boolean> {
  const { name, envName } = req;
  const index = await new SiteReleases(req.store.blobs, envName, name).index();
  const base = { workspaceRoot: req.workspaceRoot, kind: 'rollback', envName, approve: req.approve, lockWaitMs: req.lockWaitMs };
  if (index.releases.length) {
    if (req.database) throw new UserError(`${name} is a frontend (CDN releases in ${envName}): --database rolls back a backend's database`);
    const { entry, problem } = rollbackTarget(index, req.to);
    if (!entry) throw new UserError(`${name} in ${envName}: ${problem}; nothing was changed`);
    const started = performance.now();
    const { success, record } = await executeDeploy({
      ...base,
      project: { name, root: '.' },
      steps: [{ name: 'rollback', step: cdnRollbackStep as never, options: { to: entry.id } }],
      version: entry.version,
    });
    if (success) console.log(`${name} in ${envName}: rolled back to release ${entry.id} in ${((performance.now() - started) / 1000).toFixed(2)} s`);
    if (success && record) await pinAfter(req, record);
    return success;
  }
  const project = await req.project();
  if (!project) throw new UserError(`no project ${name} in this workspace (nx show projects lists them)`);
  if (!project.tags.includes('deploy:backend'))
    throw new UserError(`${name} has neither CDN releases in ${envName} nor the role backend: there is nothing to roll back`);
  const steps: StepRequest[] = [
    {
      name: 'rollback',
      step: serviceRollbackStep as never,
      options: { ...withoutCommonOptions(project.rolloutOptions), ...(req.to ? { to: req.to } : {}) },
    },
  ];
  if (req.database) steps.push({ name: 'database', step: databaseRollbackStep as never, options: {} });
  const { success, record } = await executeDeploy({ ...base, project, steps });
  if (success && record) await pinAfter(req, record);
  return success;
}

/** A rollback pins the project where it happened, and says how to let go. */
async function pinAfter(req: ManualRollbackRequest, record: LedgerRecord): Promise<void> {
  const pin = {
    actor: record.actor,
    at: record.finishedAt ?? record.startedAt,
    rollbackId: record.id,
    serving: `${record.version} (${record.artifact ?? record.gitSha.slice(0, 12)})`,
  };
  await new Pins(req.store.blobs).pin(req.envName, req.name, pin);
  console.log(
    `${req.name} is now pinned in ${req.envName}: deploys there skip it (so the next merge does not undo this rollback) until \`nx-deploy unpin ${req.name} --env ${req.envName}\` or a deploy with --force`,
  );
}
