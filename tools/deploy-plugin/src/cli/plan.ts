import { z } from 'zod';
import { renderCommand } from '../core/run.ts';
import { openSession } from '../deploy/session.ts';
import { deployLayers } from '../deploy/order.ts';
import { COMMON_OPTION_KEYS } from '../deploy/execute.ts';
import { parseOrExplain } from '../config/validate.ts';
import { STEPS } from '../steps/registry.ts';
import { deployDependencies, targetOptions, type WorkspaceView } from './workspace.ts';

function withoutCommon(options: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).filter(([k]) => !(COMMON_OPTION_KEYS as readonly string[]).includes(k)));
}

/**
 * What `nx run-many -t deploy -c <env>` would do, in order, without running anything: layers
 * (projects in one layer deploy in parallel), each project's steps and the argv of each command,
 * secrets redacted.
 */
export function renderPlan(ws: WorkspaceView, workspaceRoot: string, envName: string, only?: string[]): string {
  const deployable = Object.keys(ws.projects).filter((p) => ws.projects[p]!.targets.deploy && (!only || only.includes(p)));
  const layers = deployLayers(Object.fromEntries(deployable.map((p) => [p, deployDependencies(ws, p)])));
  const out: string[] = [`Deploy plan for ${envName} (nothing is run)`];
  layers.forEach((layer, i) => {
    out.push('', `Layer ${i + 1}${layer.length > 1 ? ' (in parallel)' : ''}: ${layer.join(', ')}`);
    for (const project of layer) {
      const { root, targets } = ws.projects[project]!;
      const session = openSession({ workspaceRoot, project: { name: project, root }, envName });
      const steps = z.array(z.string()).parse(targetOptions(targets.deploy, envName).steps ?? []);
      out.push(`  ${project} ${session.plan.project.version}${steps.length ? '' : ': no deploy steps'}`);
      steps.forEach((target, n) => {
        const step = STEPS[targets[target]?.executor?.split(':')[1] ?? ''];
        if (!step) {
          out.push(`    ${n + 1}. ${target}: not a deploy step of this plugin`);
          return;
        }
        const options = parseOrExplain(step.options, withoutCommon(targetOptions(targets[target], envName)), `${project}:${target} options`, '');
        out.push(`    ${n + 1}. ${target}`);
        for (const action of step.plan(options as never, session.plan)) {
          out.push(`       - ${action.title}`);
          if (action.command) {
            const env = Object.entries(action.command.env ?? {}).map(([k, v]) => `${k}=${v}`).join(' ');
            out.push(`         $ ${session.redactor.redact(`${env ? `${env} ` : ''}${renderCommand(action.command)}`)}`);
          }
        }
      });
    }
  });
  return out.join('\n');
}
