import { manualRollback } from '../deploy/manual-rollback.ts';
import type { CdnCli } from './cdn.ts';
import { rollbackCard } from '../steps/rollout.ts';

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
      // The last roll-out's card: a rollback during an incident should not wait for Nx's project graph.
      const card = await rollbackCard(c.store.blobs, c.envName, name).read();
      if (card.root && card.rolloutOptions)
        return { name, root: card.root, output: card.output, tags: ['deploy:backend'], rolloutOptions: card.rolloutOptions };
      // Loaded only here: Nx's devkit alone takes a quarter of a second to load.
      const [{ readWorkspace, targetOptions }, { buildOutputOf }] = await Promise.all([
        import('./workspace.ts'),
        import('../deploy/build-output.ts'),
      ]);
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
