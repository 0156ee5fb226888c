import { createProjectGraphAsync, type ProjectConfiguration, type ProjectGraph, type TargetConfiguration } from '@nx/devkit';

/** What the CLI needs of the Nx workspace: each project's root, targets and dependencies. */
export interface WorkspaceView {
  projects: Record<string, { root: string; tags: string[]; targets: Record<string, TargetConfiguration>; config: ProjectConfiguration }>;
  dependencies: Record<string, string[]>;
}

export async function readWorkspace(): Promise<WorkspaceView> {
  const graph: ProjectGraph = await createProjectGraphAsync({ exitOnError: true });
  const projects = Object.fromEntries(
    Object.values(graph.nodes).map((n) => [n.name, { root: n.data.root, tags: n.data.tags ?? [], targets: n.data.targets ?? {}, config: n.data }]),
  );
  const dependencies = Object.fromEntries(
    Object.entries(graph.dependencies).map(([p, ds]) => [p, ds.map((d) => d.target).filter((t) => t in projects)]),
  );
  return { projects, dependencies };
}

/** The projects a project's deploy waits for, read from its deploy target's dependsOn. */
export function deployDependencies(ws: WorkspaceView, project: string, deployTarget = 'deploy'): string[] {
  const target = ws.projects[project]?.targets[deployTarget];
  const out = new Set<string>();
  for (const dep of target?.dependsOn ?? []) {
    if (typeof dep === 'string' || dep.target !== deployTarget) continue;
    for (const pattern of dep.projects ? (Array.isArray(dep.projects) ? dep.projects : [dep.projects]) : []) {
      if (!pattern.startsWith('tag:')) out.add(pattern);
      else for (const [name, p] of Object.entries(ws.projects)) if (p.tags.includes(pattern.slice(4))) out.add(name);
    }
    if (dep.dependencies) for (const p of ws.dependencies[project] ?? []) out.add(p);
  }
  return [...out].filter((p) => ws.projects[p]?.targets[deployTarget]);
}

/** A target's options for an environment, as Nx merges them: options, then the configuration. */
export function targetOptions(target: TargetConfiguration | undefined, configuration: string): Record<string, unknown> {
  return { ...(target?.options ?? {}), ...(target?.configurations?.[configuration] ?? {}) };
}
