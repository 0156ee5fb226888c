import type { TargetConfiguration, TargetDependencyConfig } from '@nx/devkit';
import type { ProjectFacts, Role } from '../config/project.ts';
import { STEPS, type StepEntry } from '../steps/registry.ts';
import { PLUGIN } from '../config/plugin-name.ts';

export interface InferenceOptions {
  /** Name of the aggregate target (default `deploy`). */
  deployTargetName?: string;
  /** Environment names become configurations of every inferred target. */
  environments: string[];
  /** Runtime of a project in an environment (deploy.json), `process` when unset. */
  runtimeOf?: (env: string, project: string) => string;
}

/**
 * One configuration per environment: empty, since the executors take the environment from the
 * configuration's name (less for Nx to merge on every command). Only a read-only target (smoke)
 * gets a default: a target that changes the world must be told where, and Nx runs a target with
 * no configuration when the one asked for is not declared, so a misspelt `-c prod` reaches the
 * executor as none and is refused instead of deploying to development. Never cached: replaying a
 * deploy's success would deploy nothing.
 */
function withConfigurations(target: TargetConfiguration, environments: string[], readOnly: boolean): TargetConfiguration {
  return {
    ...target,
    cache: false,
    configurations: Object.fromEntries(environments.map((env) => [env, {}])),
    ...(readOnly && environments.includes('development') ? { defaultConfiguration: 'development' } : {}),
  };
}

/** The steps a project's deploy runs, in registry order, for the runtime it has in an environment. */
export function deploySteps(p: ProjectFacts, runtime = 'process'): string[] {
  return STEPS.filter((s) => s.inDeploy(p, runtime)).map((s) => s.name);
}

/** The tag inference gives each project for its role: `deploy:backend`, `deploy:frontend`, ... */
export function roleTag(role: Role): string {
  return `deploy:${role}`;
}

/**
 * The deploy graph, as Nx dependsOn: a frontend deploys after every backend of the workspace
 * (although it imports none of them), by the backends' role tag, so the list stays one entry
 * however many projects there are; a package after the packages it depends on; everything after
 * its own build, declared by whichever plugin or file (Nx skips it for a project without one).
 * `params: 'forward'` passes CLI overrides (--approve) along; the configuration
 * (environment) is forwarded by Nx itself.
 */
export function deployDependsOn(role: Role, backendsExist: boolean, deployTarget: string): (string | TargetDependencyConfig)[] {
  const deps: (string | TargetDependencyConfig)[] = ['build'];
  if (role === 'frontend' && backendsExist) deps.push({ projects: [`tag:${roleTag('backend')}`], target: deployTarget, params: 'forward' });
  if (role === 'package') deps.push({ dependencies: true, target: deployTarget, params: 'forward' });
  return deps;
}

function isInferred(step: StepEntry, p: ProjectFacts, runtimes: string[]): boolean {
  return step.inferred ? step.inferred(p, runtimes) : runtimes.some((r) => step.inDeploy(p, r));
}

/** All targets inferred for one project: one per step the registry infers for it, and `deploy`. */
export function inferTargets(facts: ProjectFacts, role: Role, backendsExist: boolean, opts: InferenceOptions): Record<string, TargetConfiguration> {
  if (role === 'none') return {};
  const p = { ...facts, role };
  const deployTarget = opts.deployTargetName ?? 'deploy';
  const stepsByEnv = Object.fromEntries(opts.environments.map((env) => [env, deploySteps(p, opts.runtimeOf?.(env, p.name))]));
  const runtimes = opts.environments.map((env) => opts.runtimeOf?.(env, p.name) ?? 'process');
  const targets: Record<string, TargetConfiguration> = {};
  for (const step of STEPS) {
    if (!isInferred(step, p, runtimes.length ? runtimes : ['process'])) continue;
    // The step's description is its executor's (executors.json): not repeated on every project.
    const target: TargetConfiguration = { executor: `${PLUGIN}:${step.name}` };
    const options = step.options?.(p);
    if (options) target.options = options;
    if (step.afterBuild?.(p)) target.dependsOn = ['build'];
    targets[step.name] = withConfigurations(target, opts.environments, step.readOnly === true);
  }
  // What a deploy switched (a service's version, a frontend's release) can be put back by name.
  if (targets.rollout || targets['deploy-cdn']) {
    targets.rollback = withConfigurations(
      { executor: `${PLUGIN}:rollback`, metadata: { description: `Put back the version of ${p.name} that served before (--to, --database)` } },
      opts.environments,
      false,
    );
  }
  const steps = deploySteps(p);
  const deploy: TargetConfiguration = {
    executor: `${PLUGIN}:deploy`,
    options: { steps },
    dependsOn: deployDependsOn(role, backendsExist, deployTarget),
    metadata: { description: `Deploy ${p.name} (${role}): ${steps.length ? steps.join(' -> ') : 'no deploy steps yet'}` },
  };
  targets[deployTarget] = withConfigurations(deploy, opts.environments, false);
  // Each environment's deploy runs the steps of its runtime.
  for (const [env, envSteps] of Object.entries(stepsByEnv)) {
    if (envSteps.join() !== steps.join()) targets[deployTarget]!.configurations![env] = { steps: envSteps };
  }
  return targets;
}
