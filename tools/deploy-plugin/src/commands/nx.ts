import type { Command } from '../core/run.ts';

/** The projects Nx finds affected by the commits after `base` (their files, and what depends on them). */
export function nxAffectedProjects(base: string): Command {
  return { argv: ['nx', 'show', 'projects', '--affected', '--base', base, '--head', 'HEAD', '--json'] };
}

/** `nx run-many` of one target over exactly these projects (their task dependencies left out when asked). */
export function nxRunMany(
  target: string,
  projects: string[],
  opts: { configuration?: string; excludeTaskDependencies?: boolean; extra?: string[] } = {},
): Command {
  return {
    argv: [
      'nx',
      'run-many',
      '-t',
      target,
      '-p',
      ...projects,
      ...(opts.configuration ? ['-c', opts.configuration] : []),
      ...(opts.excludeTaskDependencies ? ['--exclude-task-dependencies'] : []),
      '--output-style=static',
      ...(opts.extra ?? []),
    ],
    timeoutMs: 6 * 60 * 60_000,
  };
}
