import { SiteReleases } from '../cdn/releases.ts';
import { buildOutputOf } from '../deploy/build-output.ts';
import { executeDeploy, withoutCommonOptions } from '../deploy/execute.ts';
import { UserError } from '../core/errors.ts';
import { serviceRollbackStep } from '../steps/service-rollback.ts';
import { rollbackFrontend, type CdnCli } from './cdn.ts';
import { readWorkspace, targetOptions } from './workspace.ts';

/**
 * `nx-deploy rollback <project>`: a frontend with CDN releases switches to an earlier release (no
 * Nx graph needed: it is quick); a backend starts the version that served before again, with the
 * options its roll-out has in the workspace. Either way under the lock and approval, in the ledger.
 */
export async function rollback(c: CdnCli, project: string, opts: { to?: string; approve: boolean; lockWaitMs: number }): Promise<number> {
  const { releases } = await new SiteReleases(c.store.blobs, c.envName, project).index();
  if (releases.length) return rollbackFrontend(c, project, opts);
  const ws = await readWorkspace();
  const p = ws.projects[project];
  if (!p) throw new UserError(`no project ${project} in this workspace (nx show projects lists them)`);
  if (!p.tags.includes('deploy:backend')) {
    throw new UserError(`${project} has neither CDN releases in ${c.envName} nor the role backend: there is nothing to roll back`);
  }
  if (opts.to) {
    throw new UserError(
      `--to picks a CDN release; a backend rolls back to the version that served before its current one. Run it without --to, or deploy the version you want.`,
    );
  }
  const { success } = await executeDeploy({
    workspaceRoot: c.workspaceRoot,
    project: { name: project, root: p.root, output: buildOutputOf(project, p.config, c.envName) },
    kind: 'rollback',
    envName: c.envName,
    approve: opts.approve,
    steps: [{ name: 'rollback', step: serviceRollbackStep as never, options: withoutCommonOptions(targetOptions(p.targets.rollout, c.envName)) }],
    lockWaitMs: opts.lockWaitMs,
  });
  return success ? 0 : 1;
}
