import { getOutputsForTargetAndConfiguration, type ProjectConfiguration } from '@nx/devkit';

/** The target whose outputs are the project's build output (Nx's convention). */
export const BUILD_TARGET = 'build';

/**
 * The folder a project's Nx build writes, from its build target's declared outputs as Nx resolves
 * them (`{options.outputPath}`, `{workspaceRoot}/dist/...`), whichever plugin or file declared the
 * target: the first output that names a folder rather than a glob. The configuration is the one
 * Nx runs the build with for this environment: its own of that name, else its default.
 */
export function buildOutputOf(name: string, config: ProjectConfiguration, envName: string | undefined): string | undefined {
  const target = config.targets?.[BUILD_TARGET];
  if (!target?.outputs?.length) return undefined;
  const configuration = envName && target.configurations?.[envName] ? envName : target.defaultConfiguration;
  const outputs = getOutputsForTargetAndConfiguration(
    { project: name, target: BUILD_TARGET, configuration },
    {},
    { name, type: config.projectType === 'library' ? 'lib' : 'app', data: config },
  );
  return outputs.find((o) => !/[*?{}[\]!]/.test(o) && !/\.[a-z0-9]+$/i.test(o.split('/').at(-1) ?? ''));
}
