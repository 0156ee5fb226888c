import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CreateNodesContextV2, CreateNodesResult } from '@nx/devkit';
import { Minimatch } from 'minimatch';
import { deployFilePath } from '../config/deploy-file-path.ts';
import { runtimeIn } from '../config/runtime-kinds.ts';
import type { ProjectFacts, Role } from '../config/project.ts';
import { detectProject, groupByFolder, readProjectFiles } from './detect.ts';
import { inferTargets, roleTag, type InferenceOptions } from './targets.ts';

export interface DeployPluginOptions {
  deployTargetName?: string;
}

const FALLBACK_ENVIRONMENTS = ['development', 'staging', 'production'];

/** deploy.json read leniently: inference must not fail on a file the executors will explain. */
interface LenientEnvironment {
  runtime?: string;
  services?: Record<string, { runtime?: string }>;
}

function readDeployFile(workspaceRoot: string): {
  environments: string[];
  roles: Record<string, Role>;
  runtimeOf: (env: string, project: string) => string;
} {
  try {
    const file = JSON.parse(readFileSync(deployFilePath(workspaceRoot), 'utf8'));
    const roles = Object.fromEntries(
      Object.entries((file.projects ?? {}) as Record<string, { role?: Role }>).flatMap(([k, v]) => (v?.role ? [[k, v.role]] : [])),
    );
    const environments = Object.keys(file.environments ?? {});
    const envs = (file.environments ?? {}) as Record<string, LenientEnvironment>;
    const runtimeOf = (env: string, project: string) => runtimeIn(envs[env], project);
    return { environments: environments.length ? environments : FALLBACK_ENVIRONMENTS, roles, runtimeOf };
  } catch {
    return { environments: FALLBACK_ENVIRONMENTS, roles: {}, runtimeOf: () => 'process' };
  }
}

/** Only projects Nx knows (npm workspaces or a project.json): never invent a project from a stray package.json. */
function workspaceMatcher(workspaceRoot: string): (root: string) => boolean {
  let patterns: string[] = [];
  try {
    const ws = JSON.parse(readFileSync(join(workspaceRoot, 'package.json'), 'utf8')).workspaces;
    patterns = Array.isArray(ws) ? ws : (ws?.packages ?? []);
  } catch {
    // no root package.json: only project.json projects
  }
  const compiled = patterns.map((p) => new Minimatch(p.replace(/\/$/, '')));
  return (root) => compiled.some((m) => m.match(root));
}

/**
 * Infers deploy targets for every project at once from the files Nx matched (DETECTED_FILES):
 * detection reads each project's manifests and nothing else, no process, no Nx workspace context;
 * the deploy graph, which spans projects, is assembled from the detections.
 */
export function createDeployNodes(
  matchedFiles: readonly string[],
  options: DeployPluginOptions | undefined,
  context: CreateNodesContextV2,
): Array<readonly [string, CreateNodesResult]> {
  const { workspaceRoot } = context;
  const inWorkspaces = workspaceMatcher(workspaceRoot);
  const detected: ProjectFacts[] = [];
  const withProjectJson = new Set<string>();
  for (const [root, found] of groupByFolder(matchedFiles)) {
    if (found.names.has('project.json')) withProjectJson.add(root);
    const isProject = found.names.has('project.json') || (found.names.has('package.json') && inWorkspaces(root));
    if (root === '.' || !isProject) continue;
    const facts = detectProject(root, readProjectFiles(workspaceRoot, root, found));
    if (facts) detected.push(facts);
  }

  const deployFile = readDeployFile(workspaceRoot);
  const inference: InferenceOptions = {
    deployTargetName: options?.deployTargetName,
    environments: deployFile.environments,
    runtimeOf: deployFile.runtimeOf,
  };
  const roleOf = (p: ProjectFacts) => deployFile.roles[p.name] ?? p.role;
  const backendsExist = detected.some((p) => roleOf(p) === 'backend');
  // A project with nothing to deploy gets nothing: no entry for Nx to merge.
  return detected.flatMap((p) => {
    const role = roleOf(p);
    if (role === 'none') return [];
    const file = withProjectJson.has(p.root) ? join(p.root, 'project.json') : join(p.root, 'package.json');
    const project = { tags: [roleTag(role)], targets: inferTargets(p, role, backendsExist, inference) };
    return [[file, { projects: { [p.root]: project } }] as const];
  });
}
