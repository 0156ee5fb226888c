import { readTargetOptions, type ExecutorContext } from '@nx/devkit';
import type { ProjectRef } from '../config/context.ts';
import { UserError } from '../core/errors.ts';
import { buildOutputOf } from './build-output.ts';
import { STEPS, stepEntry } from '../steps/registry.ts';
import { withoutCommonOptions, type StepRequest } from './execute.ts';
import { PLUGIN } from '../config/plugin-name.ts';

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
      const options = { ...(entry.name === 'predeploy' ? predeployInputs(context) : {}), ...targetOptionsFor(context, target) };
      return { name: target, step: await entry.load(), options };
    }),
  );
}

/** A target's options as Nx resolves them for the run's configuration (its own, when it declares one of that name). */
function targetOptionsFor(context: ExecutorContext, target: string): Record<string, unknown> {
  const config = context.projectsConfigurations.projects[context.projectName!]!;
  const configuration = config.targets?.[target]?.configurations?.[context.configurationName ?? ''] ? context.configurationName : undefined;
  return readTargetOptions({ project: context.projectName!, target, configuration }, context) as Record<string, unknown>;
}

/**
 * What the pre-deployment checks need of the project's other targets: its migrate options (the
 * migrations are tried on a scratch copy as the migrate step would apply them) and its test target.
 */
export function predeployInputs(context: ExecutorContext): Record<string, unknown> {
  const targets = context.projectsConfigurations.projects[context.projectName!]!.targets ?? {};
  const inputs: Record<string, unknown> = {};
  if (targets.migrate?.executor === `${PLUGIN}:migrate`) inputs.migrate = withoutCommonOptions(targetOptionsFor(context, 'migrate'));
  if (targets.test) inputs.testTarget = 'test';
  return inputs;
}
