import { gitHasCommit } from '../commands/git.ts';
import { nxAffectedProjects, nxRunMany } from '../commands/nx.ts';
import { UserError } from '../core/errors.ts';
import type { Runner } from '../core/run.ts';
import { lastGood, type LedgerStore } from '../store/state-store.ts';
import type { Pins } from '../store/pins.ts';
import type { WorkspaceView } from './workspace.ts';

export interface Base {
  project: string;
  /** The commit of its last successful deploy here, or undefined when it was never deployed. */
  sha?: string;
  deployedAt?: string;
  affected: boolean;
  why: string;
  /** A manual rollback pinned it here: not deployed, whatever changed. */
  pinned?: boolean;
}

/**
 * For each deployable project, the base of "affected" is the commit of its last successful deploy
 * to the environment, from the state store — never a guess like HEAD~1. Projects sharing a base are
 * asked of Nx together; a project never deployed there is affected, and said so.
 */
export async function affectedSinceLastGood(ws: WorkspaceView, env: string, target: string, ledger: LedgerStore, runner: Runner): Promise<Base[]> {
  const projects = Object.keys(ws.projects)
    .filter((p) => ws.projects[p]!.targets[target])
    .sort();
  const bases = await Promise.all(
    projects.map(async (project) => ({ project, record: await lastGood(ledger, env, project, (r) => r.gitSha !== 'unknown') })),
  );
  const byBase = new Map<string, string[]>();
  for (const { project, record } of bases) if (record) byBase.set(record.gitSha, [...(byBase.get(record.gitSha) ?? []), project]);
  const affectedBy = new Map<string, Set<string>>();
  for (const sha of byBase.keys()) {
    if ((await runner.run(gitHasCommit(sha), { quiet: true, allowFailure: true })).exitCode !== 0) {
      throw new UserError(
        `${byBase.get(sha)!.join(', ')} last deployed to ${env} from commit ${sha.slice(0, 12)}, which this clone does not have: ` +
          `fetch the history (in GitHub Actions: actions/checkout with fetch-depth: 0) and run again. Nothing was deployed.`,
      );
    }
    affectedBy.set(sha, new Set(JSON.parse((await runner.run(nxAffectedProjects(sha), { quiet: true })).stdout) as string[]));
  }
  return bases.map(({ project, record }) => {
    if (!record) return { project, affected: true, why: `never deployed to ${env}` };
    const affected = affectedBy.get(record.gitSha)!.has(project);
    return {
      project,
      sha: record.gitSha,
      deployedAt: record.finishedAt ?? record.startedAt,
      affected,
      why: affected ? `changed since ${record.gitSha.slice(0, 8)}` : `unchanged since ${record.gitSha.slice(0, 8)}`,
    };
  });
}

/** Pinned projects are not deployed: said so, and left out. */
export async function withPins(bases: Base[], env: string, pins: Pins): Promise<Base[]> {
  return Promise.all(
    bases.map(async (b) => {
      const pin = await pins.get(env, b.project);
      return pin
        ? { ...b, affected: false, pinned: true, why: `pinned: ${pin.actor} rolled it back at ${pin.at} (nx-deploy unpin ${b.project} --env ${env})` }
        : b;
    }),
  );
}

export function renderBases(env: string, bases: Base[]): string {
  const rows = [
    ['project', `last good deploy to ${env}`, 'affected'],
    ...bases.map((b) => [b.project, b.sha ? `${b.sha.slice(0, 12)} (${b.deployedAt})` : 'none', b.affected ? `yes: ${b.why}` : `no: ${b.why}`]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * Deploys exactly the affected projects: their builds first (with what they need), then their
 * deploys in the deploy graph's order among them, leaving out the deploys of unaffected projects
 * that a frontend's deploy would otherwise pull in. The deploys get `environ`, the environment this
 * command was given (the variables deploy.json names, secrets among them), as if run by hand; each
 * hands out only what its steps need. The builds get only a tool's environment (core/child-env.ts).
 */
export async function deployAffected(
  projects: string[],
  env: string,
  target: string,
  extra: string[],
  runner: Runner,
  environ: NodeJS.ProcessEnv,
): Promise<number> {
  const build = await runner.run(nxRunMany('build', projects), { allowFailure: true });
  if (build.exitCode !== 0) return build.exitCode;
  const deploy = nxRunMany(target, projects, { configuration: env, excludeTaskDependencies: true, extra });
  return (await runner.run({ ...deploy, env: { ...environ } }, { allowFailure: true })).exitCode;
}
