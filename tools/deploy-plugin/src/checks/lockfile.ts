import { existsSync, globSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'] as const;

interface Manifest {
  /** Relative to the workspace root; '' for the root package.json. */
  path: string;
  json: Record<string, unknown>;
}

type LockPackages = Record<string, Partial<Record<(typeof FIELDS)[number], Record<string, string>>>>;

/**
 * Pure: where package.json files and package-lock.json disagree, as `npm ci` would refuse them:
 * every dependency range a manifest declares must be what the lock file recorded for that
 * workspace (lockfile v2/v3 keep a copy of each workspace's ranges), and every workspace must be in it.
 */
export function npmLockProblems(manifests: Manifest[], lock: { lockfileVersion?: number; packages?: LockPackages }): string[] {
  if (!lock.packages || (lock.lockfileVersion ?? 1) < 2)
    return ['package-lock.json is not lockfile version 2 or 3: run npm install with npm 7 or newer'];
  const problems: string[] = [];
  for (const m of manifests) {
    const file = m.path ? `${m.path}/package.json` : 'package.json';
    const locked = lock.packages[m.path];
    if (!locked) {
      problems.push(`${file} is not in package-lock.json`);
      continue;
    }
    for (const field of FIELDS) {
      const declared = (m.json[field] ?? {}) as Record<string, string>;
      const recorded = locked[field] ?? {};
      for (const [name, range] of Object.entries(declared)) {
        if (recorded[name] === undefined) problems.push(`${file}: ${field}.${name} (${range}) is not in package-lock.json`);
        else if (recorded[name] !== range) problems.push(`${file}: ${field}.${name} is ${range}, package-lock.json has ${recorded[name]}`);
      }
      for (const name of Object.keys(recorded))
        if (declared[name] === undefined) problems.push(`${file}: ${field}.${name} is in package-lock.json but no longer declared`);
    }
  }
  return problems;
}

/** The root package.json and those of its npm workspaces (their globs expanded). */
export function readNpmManifests(workspaceRoot: string): Manifest[] {
  const root = JSON.parse(readFileSync(join(workspaceRoot, 'package.json'), 'utf8')) as Record<string, unknown>;
  const patterns = Array.isArray(root.workspaces) ? (root.workspaces as string[]) : ((root.workspaces as { packages?: string[] })?.packages ?? []);
  const members = patterns
    .flatMap((p) => globSync(p, { cwd: workspaceRoot }))
    .filter((dir) => existsSync(join(workspaceRoot, dir, 'package.json')))
    .sort();
  return [
    { path: '', json: root },
    ...members.map((dir) => ({ path: dir.split('\\').join('/'), json: JSON.parse(readFileSync(join(workspaceRoot, dir, 'package.json'), 'utf8')) })),
  ];
}
