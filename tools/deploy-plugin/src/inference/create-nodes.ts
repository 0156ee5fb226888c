import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { CreateNodesContextV2, CreateNodesResult } from '@nx/devkit';
import { Minimatch } from 'minimatch';
import { deployFilePath } from '../config/deploy-file-path.ts';
import type { ProjectFacts, Role } from '../config/project.ts';
import { detectProject, projectFilesHash, readProjectFiles } from './detect.ts';
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
    const runtimeOf = (env: string, project: string) => envs[env]?.services?.[project]?.runtime ?? envs[env]?.runtime ?? 'process';
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

/** Bump when what detection records changes: entries of an older shape must not be reused. */
const CACHE_FORMAT = 3;

/**
 * Nx's workspace data folder (NX_WORKSPACE_DATA_DIRECTORY, else .nx/workspace-data). Resolved
 * here rather than through @nx/devkit: loading devkit costs a plugin worker more than inference.
 */
function dataDirectory(workspaceRoot: string): string {
  return resolve(workspaceRoot, process.env.NX_WORKSPACE_DATA_DIRECTORY ?? join('.nx', 'workspace-data'));
}

function cachePath(workspaceRoot: string): string {
  return join(dataDirectory(workspaceRoot), `nx-deploy-inference-v${CACHE_FORMAT}.json`);
}

function readCache(workspaceRoot: string): Record<string, ProjectFacts | null> {
  try {
    return JSON.parse(readFileSync(cachePath(workspaceRoot), 'utf8'));
  } catch {
    return {};
  }
}

/**
 * Infers deploy targets for every project at once. Detection per project is cached by a hash of
 * exactly what it reads (the folder's file names and its manifests: one readdir and one or two
 * reads, no process, no Nx workspace context); the deploy graph, which spans projects, is
 * assembled from the detections.
 */
export function createDeployNodes(
  configFiles: readonly string[],
  options: DeployPluginOptions | undefined,
  context: CreateNodesContextV2,
): Array<readonly [string, CreateNodesResult]> {
  const { workspaceRoot } = context;
  const inWorkspaces = workspaceMatcher(workspaceRoot);
  const withProjectJson = new Set(configFiles.filter((f) => f.endsWith('project.json')).map((f) => dirname(f)));
  const roots = [...new Set(configFiles.map((f) => dirname(f)))].filter((root) => root !== '.' && (withProjectJson.has(root) || inWorkspaces(root)));
  const cache = readCache(workspaceRoot);
  const next: Record<string, ProjectFacts | null> = {};
  const detected: ProjectFacts[] = [];
  let changed = false;
  for (const root of roots) {
    const files = readProjectFiles(workspaceRoot, root);
    const key = `${root}:${projectFilesHash(files)}`;
    const hit = key in cache ? cache[key]! : (detectProject(workspaceRoot, root, files) ?? null);
    changed ||= !(key in cache);
    next[key] = hit;
    if (hit) detected.push(hit);
  }
  if (changed || Object.keys(cache).length !== roots.length) {
    try {
      mkdirSync(dataDirectory(workspaceRoot), { recursive: true });
      writeFileSync(cachePath(workspaceRoot), JSON.stringify(next));
    } catch {
      // a read-only cache folder only costs speed
    }
  }

  const deployFile = readDeployFile(workspaceRoot);
  const inference: InferenceOptions = {
    deployTargetName: options?.deployTargetName,
    environments: deployFile.environments,
    runtimeOf: deployFile.runtimeOf,
  };
  const roleOf = (p: ProjectFacts) => deployFile.roles[p.name] ?? p.role;
  const backendsExist = detected.some((p) => roleOf(p) === 'backend');
  return detected.map((p) => {
    const role = roleOf(p);
    const file = withProjectJson.has(p.root) ? join(p.root, 'project.json') : join(p.root, 'package.json');
    const project = { tags: role === 'none' ? [] : [roleTag(role)], targets: inferTargets(p, role, backendsExist, inference) };
    return [file, { projects: { [p.root]: project } }] as const;
  });
}
