import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What a plan shows for a project whose version comes from the commit, before it is known. */
export const COMMIT_VERSION = 'sha-<commit>';

function manifestVersion(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const version = (JSON.parse(readFileSync(path, 'utf8')) as { version?: unknown }).version;
    return typeof version === 'string' && version ? version : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A project's version: its package.json, else the package.json its build writes (Nx's
 * generatePackageJson), else the project's own `version` (project.json), else COMMIT_VERSION, which
 * the deploy replaces with `sha-<commit>`. Never an invented 0.0.0.
 */
export function declaredVersion(workspaceRoot: string, project: { root: string; output?: string; version?: string }): string {
  return (
    manifestVersion(join(workspaceRoot, project.root, 'package.json')) ??
    (project.output ? manifestVersion(join(workspaceRoot, project.output, 'package.json')) : undefined) ??
    project.version ??
    COMMIT_VERSION
  );
}

/** The version of a deploy of this commit: the declared one, or `sha-<12 hex>`. */
export function deployVersion(declared: string, gitSha: string): string {
  if (declared !== COMMIT_VERSION) return declared;
  return gitSha === 'unknown' ? 'sha-unknown' : `sha-${gitSha.slice(0, 12)}`;
}
