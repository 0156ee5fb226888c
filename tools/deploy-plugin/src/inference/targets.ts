import type { TargetConfiguration, TargetDependencyConfig } from '@nx/devkit';
import type { Detected, Role } from './detect.ts';

export const PLUGIN = '@pod-protocol/nx-deploy';

export interface InferenceOptions {
  /** Name of the aggregate target (default `deploy`). */
  deployTargetName?: string;
  /** Environment names become configurations of every inferred target. */
  environments: string[];
  /** Runtime of a project in an environment (deploy.json), `process` when unset. */
  runtimeOf?: (env: string, project: string) => string;
}

function withConfigurations(target: TargetConfiguration, environments: string[]): TargetConfiguration {
  return {
    ...target,
    cache: false,
    configurations: Object.fromEntries(environments.map((env) => [env, { environment: env }])),
    defaultConfiguration: environments.includes('development') ? 'development' : undefined,
  };
}

/**
 * The steps a project's deploy runs, in order, by role, what was detected and the environment's
 * runtime: where services run as containers, a backend's image is built (or promoted) first.
 */
export function deploySteps(p: Detected, runtime = 'process'): string[] {
  switch (p.role) {
    case 'backend':
      return [...(runtime === 'process' ? [] : ['build-image']), ...(p.migrations ? ['migrate'] : []), 'rollout', 'smoke'];
    case 'package':
      return p.publish ? [`publish-${p.publish}`] : [];
    default:
      return [];
  }
}

/** The tag inference gives each project for its role: `deploy:backend`, `deploy:frontend`, ... */
export function roleTag(role: Role): string {
  return `deploy:${role}`;
}

/**
 * The deploy graph, as Nx dependsOn: a frontend deploys after every backend of the workspace
 * (although it imports none of them), by the backends' role tag, so the list stays one entry
 * however many projects there are; a package after the packages it depends on; everything after
 * its own build. `params: 'forward'` passes CLI overrides (--approve) along; the configuration
 * (environment) is forwarded by Nx itself.
 */
export function deployDependsOn(role: Role, hasBuild: boolean, backendsExist: boolean, deployTarget: string): (string | TargetDependencyConfig)[] {
  const deps: (string | TargetDependencyConfig)[] = hasBuild ? ['build'] : [];
  if (role === 'frontend' && backendsExist) deps.push({ projects: [`tag:${roleTag('backend')}`], target: deployTarget, params: 'forward' });
  if (role === 'package') deps.push({ dependencies: true, target: deployTarget, params: 'forward' });
  return deps;
}

/** All targets inferred for one project. Only targets whose executors exist are inferred. */
export function inferTargets(p: Detected, role: Role, backendsExist: boolean, opts: InferenceOptions): Record<string, TargetConfiguration> {
  const project = { ...p, role };
  if (role === 'none') return {};
  const deployTarget = opts.deployTargetName ?? 'deploy';
  const afterBuild = p.hasBuild ? ['build'] : [];
  const targets: Record<string, TargetConfiguration> = {};
  const steps = deploySteps(project);
  const stepsByEnv = Object.fromEntries(opts.environments.map((env) => [env, deploySteps(project, opts.runtimeOf?.(env, p.name))]));
  const anyContainer = Object.values(stepsByEnv).some((s) => s.includes('build-image'));

  if (anyContainer) {
    targets['build-image'] = {
      executor: `${PLUGIN}:build-image`,
      options: { files: ['package.json', 'dist', ...(p.migrations === 'builtin' ? ['migrations'] : [])] },
      dependsOn: afterBuild,
      metadata: { description: 'Build the container image once, push it, record its digest' },
    };
  }
  if (steps.includes('migrate')) {
    targets.migrate = {
      executor: `${PLUGIN}:migrate`,
      options: { tool: p.migrations },
      dependsOn: p.migrations === 'builtin' ? afterBuild : [],
      metadata: { description: 'Apply pending migrations behind a backup', technologies: ['database'] },
    };
  }
  if (steps.includes('rollout')) {
    targets.rollout = {
      executor: `${PLUGIN}:rollout`,
      options: { command: p.start, database: Boolean(p.migrations) },
      dependsOn: afterBuild,
      metadata: { description: 'Replace the running version of the service' },
    };
  }
  if (steps.includes('publish-npm')) {
    targets['publish-npm'] = {
      executor: `${PLUGIN}:publish-npm`,
      options: {},
      dependsOn: afterBuild,
      metadata: { description: "Publish to the environment's npm registry unless this version is out" },
    };
  }
  if (steps.includes('publish-crate')) {
    targets['publish-crate'] = {
      executor: `${PLUGIN}:publish-crate`,
      options: {},
      metadata: { description: "Publish the crate to the environment's registry unless this version is out" },
    };
  }
  if (role === 'backend' || role === 'frontend') {
    targets.smoke = {
      executor: `${PLUGIN}:smoke`,
      options: {},
      metadata: { description: 'HTTP smoke checks against the deployed service' },
    };
  }
  targets[deployTarget] = {
    executor: `${PLUGIN}:deploy`,
    options: { steps },
    dependsOn: deployDependsOn(role, p.hasBuild, backendsExist, deployTarget),
    metadata: { description: `Deploy ${p.name} (${role}): ${steps.length ? steps.join(' -> ') : 'no deploy steps yet'}` },
  };
  for (const name of Object.keys(targets)) targets[name] = withConfigurations(targets[name]!, opts.environments);
  // Each environment's deploy runs the steps of its runtime.
  for (const [env, envSteps] of Object.entries(stepsByEnv)) {
    if (envSteps.join() !== steps.join()) targets[deployTarget]!.configurations![env] = { environment: env, steps: envSteps };
  }
  return targets;
}
