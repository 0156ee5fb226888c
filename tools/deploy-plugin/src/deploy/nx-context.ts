import { readTargetOptions, type ExecutorContext } from '@nx/devkit';
import type { ProjectRef } from '../config/context.ts';
import { UserError } from '../core/errors.ts';
import { buildOutputOf } from './build-output.ts';
import { STEPS, stepEntry } from '../steps/registry.ts';
import type { StepRequest } from './execute.ts';

export const PLUGIN = '@pod-protocol/nx-deploy';

/** The project a task runs for, with what Nx knows of its build output and version. */
export function projectOf(context: ExecutorContext): ProjectRef {
  const name = context.projectName!;
  const config = context.projectsConfigurations.projects[name]!;
  const version = (config as { version?: unknown }).version;
  return {
    name,
    root: config.root,
    output: buildOutputOf(name, config, context.configurationName),
    ...(typeof version === 'string' && version ? { version } : {}),
  };
}

/**
 * The deploy steps of a project as Nx resolved them: each step is one of the project's targets,
 * whose options (and configuration for this environment) come from wherever Nx merged them.
 */
export async function stepRequests(context: ExecutorContext, targets: string[]): Promise<StepRequest[]> {
  const project = projectOf(context);
  const config = context.projectsConfigurations.projects[project.name]!;
  return Promise.all(
    targets.map(async (target) => {
      const executor = config.targets?.[target]?.executor;
      const entry = executor?.startsWith(`${PLUGIN}:`) ? stepEntry(executor.slice(PLUGIN.length + 1)) : undefined;
      if (!entry) {
        throw new UserError(
          `${project.name}: deploy step '${target}' must be a target run by an ${PLUGIN} executor (${STEPS.map((s) => s.name).join(', ')}); it is ${executor ?? 'missing'}.`,
        );
      }
      const configuration = config.targets?.[target]?.configurations?.[context.configurationName ?? ''] ? context.configurationName : undefined;
      const options = readTargetOptions({ project: project.name, target, configuration }, context) as Record<string, unknown>;
      return { name: target, step: await entry.load(), options };
    }),
  );
}
