import { UserError } from '../core/errors.ts';
import { z } from 'zod';
import { parseOrExplain } from '../config/validate.ts';
import { deployLayers } from '../core/layers.ts';
import { renderCommand } from '../core/run.ts';
import { withoutCommonOptions } from '../deploy/execute.ts';
import { buildOutputOf } from '../deploy/build-output.ts';
import { PLUGIN } from '../config/plugin-name.ts';
import { openSession } from '../deploy/session.ts';
import { stepEntry } from '../steps/registry.ts';
import { lastGood, type StateStore } from '../store/state-store.ts';
import { describeLock } from './history.ts';
import { deployDependencies, targetOptions, type WorkspaceView } from './workspace.ts';

/**
 * What `nx run-many -t deploy -c <env>` would do, in order, without running anything: layers
 * (projects in one layer deploy in parallel), each project's steps and the argv of each command,
 * secrets redacted.
 */
export async function renderPlan(
  ws: WorkspaceView,
  workspaceRoot: string,
  envName: string,
  store: StateStore | { problem: string },
  only?: string[],
): Promise<{ text: string; problems: number }> {
  let problems = 0;
  // A plan runs nothing, so it is printed even when the state store cannot be read (offline, no credentials).
  let unread = 'problem' in store ? store.problem : undefined;
  const fromStore = async <T>(read: (s: StateStore) => Promise<T>): Promise<T | undefined> => {
    if (unread || 'problem' in store) return undefined;
    try {
      return await read(store);
    } catch (err) {
      unread = (err as Error).message.split('\n')[0];
      return undefined;
    }
  };
  const lock = await fromStore((s) => s.locks.status(envName));
  const deployable = Object.keys(ws.projects).filter((p) => ws.projects[p]!.targets.deploy && (!only || only.includes(p)));
  const layers = deployLayers(Object.fromEntries(deployable.map((p) => [p, deployDependencies(ws, p)])));
  const out: string[] = [
    `Deploy plan for ${envName} (nothing is run); state in ${'where' in store ? store.where : 'a store that cannot be opened'}`,
    unread ? `state not read: ${unread} (the lock and the last good deploys are unknown)` : describeLock(envName, lock),
  ];
  for (const [i, layer] of layers.entries()) {
    out.push('', `Layer ${i + 1}${layer.length > 1 ? ' (in parallel)' : ''}: ${layer.join(', ')}`);
    for (const project of layer) {
      const { root, targets, config } = ws.projects[project]!;
      const output = buildOutputOf(project, config, envName);
      const session = openSession({ workspaceRoot, project: { name: project, root, output }, envName, target: `${project}:deploy` });
      const steps = z.array(z.string()).parse(targetOptions(targets.deploy, envName).steps ?? []);
      const good = await fromStore((s) => lastGood(s.ledger, envName, project));
      const since = unread
        ? 'last good: unknown (state not read)'
        : good
          ? `last good: ${good.version} ${good.gitSha.slice(0, 8)} (${good.finishedAt ?? good.startedAt})`
          : `never deployed to ${envName}`;
      out.push(`  ${project} ${session.plan.project.version}${steps.length ? '' : ': no deploy steps'} — ${since}`);
      for (const [n, target] of steps.entries()) {
        const executor = targets[target]?.executor ?? '';
        const entry = executor.startsWith(`${PLUGIN}:`) ? stepEntry(executor.slice(PLUGIN.length + 1)) : undefined;
        if (!entry) {
          out.push(`    ${n + 1}. ${target}: not a deploy step of this plugin`);
          continue;
        }
        const step = await entry.load();
        const options = parseOrExplain(
          step.options,
          withoutCommonOptions(targetOptions(targets[target], envName)),
          `${project}:${target} options`,
          '',
        );
        out.push(`    ${n + 1}. ${target}`);
        let actions;
        try {
          actions = step.plan(options as never, session.plan);
        } catch (err) {
          // Shown where it applies; the other projects' plans still print.
          if (!(err instanceof UserError)) throw err;
          problems++;
          out.push(`       ! cannot run: ${err.message}`);
          continue;
        }
        for (const action of actions) {
          out.push(`       - ${action.title}`);
          if (action.command) {
            const env = Object.entries(action.command.env ?? {})
              .map(([k, v]) => `${k}=${v}`)
              .join(' ');
            out.push(`         $ ${session.redactor.redact(`${env ? `${env} ` : ''}${renderCommand(action.command)}`)}`);
          }
        }
      }
    }
  }
  if (problems) out.push(`\n${problems} step(s) cannot run in ${envName} as configured: see the lines marked !`);
  return { text: out.join('\n'), problems };
}
