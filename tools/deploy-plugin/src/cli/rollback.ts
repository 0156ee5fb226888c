import { buildOutputOf } from '../deploy/build-output.ts';
import { manualRollback } from '../deploy/manual-rollback.ts';
import type { CdnCli } from './cdn.ts';
import { readWorkspace, targetOptions } from './workspace.ts';

/** `nx-deploy rollback <project>`: see manualRollback; the backend's roll-out options come from the Nx graph. */
export async function rollback(
  c: CdnCli,
  name: string,
  opts: { to?: string; database: boolean; approve: boolean; lockWaitMs: number },
): Promise<number> {
  const success = await manualRollback({
    workspaceRoot: c.workspaceRoot,
    envName: c.envName,
    store: c.store,
    name,
    ...opts,
    project: async () => {
      const p = (await readWorkspace()).projects[name];
      return (
        p && {
          name,
          root: p.root,
          tags: p.tags,
          output: buildOutputOf(name, p.config, c.envName),
          rolloutOptions: targetOptions(p.targets.rollout, c.envName),
        }
      );
    },
  });
  return success ? 0 : 1;
}
