import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CreateNodesContextV2, CreateNodesResult } from '@nx/devkit';
import { calculateHashesForCreateNodes, workspaceDataDirectory } from '@nx/devkit/internal';
import { minimatch } from 'minimatch';
import { deployFilePath } from '../config/deploy-file-path.ts';
import { detectProject, type Detected, type Role } from './detect.ts';
import { inferTargets, type InferenceOptions } from './targets.ts';

export interface DeployPluginOptions {
  deployTargetName?: string;
}

const FALLBACK_ENVIRONMENTS = ['development', 'staging', 'production'];

/** deploy.json read leniently: inference must not fail on a file the executors will explain. */
function readDeployFile(workspaceRoot: string): { environments: string[]; roles: Record<string, Role>; runtimes: Record<string, string> } {
  try {
    const file = JSON.parse(readFileSync(deployFilePath(workspaceRoot), 'utf8'));
    const roles = Object.fromEntries(
      Object.entries((file.projects ?? {}) as Record<string, { role?: Role }>).flatMap(([k, v]) => (v?.role ? [[k, v.role]] : [])),
    );
    const environments = Object.keys(file.environments ?? {});
    const runtimes = Object.fromEntries(
      Object.entries((file.environments ?? {}) as Record<string, { runtime?: string }>).flatMap(([k, v]) => (v?.runtime ? [[k, v.runtime]] : [])),
    );
    return { environments: environments.length ? environments : FALLBACK_ENVIRONMENTS, roles, runtimes };
  } catch {
    return { environments: FALLBACK_ENVIRONMENTS, roles: {}, runtimes: {} };
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
  return (root) => patterns.some((p) => minimatch(root, p.replace(/\/$/, '')));
}

/** Bump when what detection records changes: entries of an older shape must not be reused. */
const CACHE_FORMAT = 2;

function cachePath(): string {
  return join(workspaceDataDirectory, `nx-deploy-inference-v${CACHE_FORMAT}.json`);
}

function readCache(): Record<string, Detected | null> {
  try {
    return JSON.parse(readFileSync(cachePath(), 'utf8'));
  } catch {
    return {};
  }
}

/**
 * Infers deploy targets for every project at once: detection per project is cached by the hash
 * of the project's files (Nx's own file hashes, so nothing is re-read when nothing changed); the
 * deploy graph, which spans projects, is assembled from the cached detections.
 */
export async function createDeployNodes(
  configFiles: readonly string[],
  options: DeployPluginOptions | undefined,
  context: CreateNodesContextV2,
): Promise<Array<readonly [string, CreateNodesResult]>> {
  const { workspaceRoot } = context;
  const inWorkspaces = workspaceMatcher(workspaceRoot);
  const roots = [...new Set(configFiles.map((f) => dirname(f)))].filter(
    (root) => root !== '.' && (existsSync(join(workspaceRoot, root, 'project.json')) || inWorkspaces(root)),
  );
  const hashes = await calculateHashesForCreateNodes(roots, options ?? {}, context);
  const cache = readCache();
  const next: Record<string, Detected | null> = {};
  const detected: Detected[] = [];
  roots.forEach((root, i) => {
    const key = `${root}:${hashes[i]}`;
    const hit = key in cache ? cache[key]! : (detectProject(workspaceRoot, root) ?? null);
    next[key] = hit;
    if (hit) detected.push(hit);
  });
  try {
    mkdirSync(workspaceDataDirectory, { recursive: true });
    writeFileSync(cachePath(), JSON.stringify(next));
  } catch {
    // a read-only cache folder only costs speed
  }

  const deployFile = readDeployFile(workspaceRoot);
  const inference: InferenceOptions = {
    deployTargetName: options?.deployTargetName,
    environments: deployFile.environments,
    roleOverrides: deployFile.roles,
    runtimes: deployFile.runtimes,
  };
  return detected.map((p) => {
    const file = existsSync(join(workspaceRoot, p.root, 'project.json')) ? join(p.root, 'project.json') : join(p.root, 'package.json');
    return [file, { projects: { [p.root]: { targets: inferTargets(p, detected, inference) } } }] as const;
  });
}
