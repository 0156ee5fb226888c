import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Role = 'backend' | 'frontend' | 'package' | 'none';

/** What inference learned about one project from its files; cached by the hash of those files. */
export interface Detected {
  name: string;
  root: string;
  role: Role;
  /** `migrations/` (builtin tool) or `prisma/schema.prisma`. */
  migrations?: 'builtin' | 'prisma';
  /** argv that starts the service (backends). */
  start?: string[];
  /** How a package ships: npm (non-private package.json) or crate (Cargo.toml). */
  publish?: 'npm' | 'crate';
  hasBuild: boolean;
  /** Workspace dependencies by package name (packages publish in this order). */
  dependsOnPackages: string[];
  packageName?: string;
}

interface Manifest {
  name?: string;
  private?: boolean;
  main?: string;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  nx?: { name?: string; tags?: string[]; targets?: Record<string, unknown> };
}

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** `"start": "node dist/main.js"` becomes an argv; anything needing a shell falls back to `main`. */
function startCommand(pkg: Manifest | undefined): string[] {
  const script = pkg?.scripts?.start?.trim();
  if (script && /^node(\s+[\w@./=-]+)+$/.test(script)) return script.split(/\s+/);
  return ['node', pkg?.main ?? 'dist/main.js'];
}

const ROLE_TAG = /^deploy:(backend|frontend|package|none)$/;

/**
 * One detector per artifact kind, by file presence only (no process is spawned): a container
 * file makes a backend, a Vite config or index.html a static frontend, a publishable manifest
 * (non-private package.json, Cargo.toml) a package. A `deploy:<role>` tag overrides.
 */
export function detectProject(workspaceRoot: string, root: string): Detected | undefined {
  const dir = join(workspaceRoot, root);
  const has = (f: string) => existsSync(join(dir, f));
  const pkg = readJson<Manifest>(join(dir, 'package.json'));
  const projectJson = readJson<{ name?: string; tags?: string[] }>(join(dir, 'project.json'));
  const name = projectJson?.name ?? pkg?.nx?.name ?? pkg?.name;
  if (!name) return undefined;

  const tags = [...(projectJson?.tags ?? []), ...(pkg?.nx?.tags ?? [])];
  const tagged = tags.map((t) => ROLE_TAG.exec(t)?.[1]).find(Boolean) as Role | undefined;
  const containerFile = ['Dockerfile.prod', 'Dockerfile', 'Containerfile'].some(has);
  const staticSite = ['vite.config.ts', 'vite.config.mts', 'vite.config.js', 'vite.config.mjs', 'index.html'].some(has);
  const publish = has('Cargo.toml') ? 'crate' : pkg !== undefined && pkg.private !== true ? 'npm' : undefined;
  const publishable = publish !== undefined;
  const role: Role = tagged ?? (containerFile ? 'backend' : staticSite ? 'frontend' : publishable ? 'package' : 'none');

  return {
    name,
    root,
    role,
    migrations: has('prisma/schema.prisma') ? 'prisma' : has('migrations') ? 'builtin' : undefined,
    start: role === 'backend' ? startCommand(pkg) : undefined,
    publish,
    hasBuild: Boolean(pkg?.scripts?.build) || Boolean(pkg?.nx?.targets?.build),
    dependsOnPackages: Object.keys({ ...pkg?.dependencies, ...pkg?.peerDependencies }),
    packageName: pkg?.name,
  };
}
