import { readTargetOptions, type ExecutorContext } from '@nx/devkit';
import { UserError } from '../core/errors.ts';
import { STEPS } from '../steps/registry.ts';
import type { StepRequest } from './execute.ts';

export function projectOf(context: ExecutorContext): { name: string; root: string } {
  const name = context.projectName!;
  return { name, root: context.projectsConfigurations.projects[name]!.root };
}

/**
 * The deploy steps of a project as Nx resolved them: each step is one of the project's targets,
 * whose options (and configuration for this environment) come from wherever Nx merged them.
 */
export function stepRequests(context: ExecutorContext, targets: string[]): StepRequest[] {
  const project = projectOf(context);
  const config = context.projectsConfigurations.projects[project.name]!;
  return targets.map((target) => {
    const executor = config.targets?.[target]?.executor;
    const stepName = executor?.split(':')[1];
    const step = stepName ? STEPS[stepName] : undefined;
    if (!step || !executor?.startsWith('@pod-protocol/nx-deploy:')) {
      throw new UserError(
        `${project.name}: deploy step '${target}' must be a target run by an @pod-protocol/nx-deploy executor (${Object.keys(STEPS).join(', ')}); it is ${executor ?? 'missing'}.`,
      );
    }
    const configuration = config.targets?.[target]?.configurations?.[context.configurationName ?? ''] ? context.configurationName : undefined;
    const options = readTargetOptions({ project: project.name, target, configuration }, context) as Record<string, unknown>;
    return { step, options };
  });
}
