import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProjectFacts, Role } from '../config/project.ts';

interface Manifest {
  name?: string;
  private?: boolean;
  main?: string;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  nx?: { name?: string; tags?: string[]; targets?: Record<string, unknown> };
}

/** What detection reads of a project: its file names (one readdir, no stat per candidate) and manifests. */
export interface ProjectFiles {
  names: Set<string>;
  /** prisma/schema.prisma exists (the one nested path detection looks at). */
  prismaSchema: boolean;
  packageJson?: string;
  projectJson?: string;
}

export function readProjectFiles(workspaceRoot: string, root: string): ProjectFiles {
  const dir = join(workspaceRoot, root);
  let names: Set<string>;
  try {
    names = new Set(readdirSync(dir));
  } catch {
    names = new Set();
  }
  const read = (f: string) => (names.has(f) ? readFileSync(join(dir, f), 'utf8') : undefined);
  const prismaSchema = names.has('prisma') && existsSync(join(dir, 'prisma', 'schema.prisma'));
  return { names, prismaSchema, packageJson: read('package.json'), projectJson: read('project.json') };
}

/** The cache key of a project's detection: a hash of exactly what detection reads. */
export function projectFilesHash(files: ProjectFiles): string {
  return createHash('sha1')
    .update([...files.names].sort().join('\0'))
    .update(files.prismaSchema ? '\0prisma/schema.prisma' : '')
    .update('\0package.json\0')
    .update(files.packageJson ?? '')
    .update('\0project.json\0')
    .update(files.projectJson ?? '')
    .digest('hex');
}

function parseJson<T>(text: string | undefined): T | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
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
export function detectProject(
  workspaceRoot: string,
  root: string,
  input: ProjectFiles = readProjectFiles(workspaceRoot, root),
): ProjectFacts | undefined {
  const has = (f: string) => input.names.has(f);
  const pkg = parseJson<Manifest>(input.packageJson);
  const projectJson = parseJson<{ name?: string; tags?: string[] }>(input.projectJson);
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
    migrations: input.prismaSchema ? 'prisma' : has('migrations') ? 'builtin' : undefined,
    start: role === 'backend' ? startCommand(pkg) : undefined,
    publish,
    hasBuild: Boolean(pkg?.scripts?.build) || Boolean(pkg?.nx?.targets?.build),
    dependsOnPackages: Object.keys({ ...pkg?.dependencies, ...pkg?.peerDependencies }),
    packageName: pkg?.name,
  };
}
