import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
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

/**
 * The files detection looks at, as a glob for Nx: Nx matches them from its own file index and
 * hands them to createNodes, so inference lists no folder and stats no file itself.
 */
export const DETECTED_FILES =
  '**/{package.json,project.json,Dockerfile,Dockerfile.prod,Containerfile,vite.config.ts,vite.config.mts,vite.config.js,vite.config.mjs,index.html,Cargo.toml,prisma/schema.prisma,migrations/*}';

/** What detection knows of a project folder: which of DETECTED_FILES it holds, and its manifests. */
export interface ProjectFiles {
  /** File names directly in the folder, plus `migrations` when it has a migrations/ folder. */
  names: Set<string>;
  /** prisma/schema.prisma exists (the one nested path detection looks at). */
  prismaSchema: boolean;
  packageJson?: string;
  projectJson?: string;
}

/** Pure: the DETECTED_FILES Nx matched, grouped by the folder they describe. */
export function groupByFolder(files: readonly string[]): Map<string, { names: Set<string>; prismaSchema: boolean }> {
  const folders = new Map<string, { names: Set<string>; prismaSchema: boolean }>();
  const folder = (dir: string) => folders.get(dir) ?? folders.set(dir, { names: new Set(), prismaSchema: false }).get(dir)!;
  for (const file of files) {
    const dir = dirname(file);
    if (file.endsWith('/prisma/schema.prisma') || file === 'prisma/schema.prisma') folder(dirname(dir)).prismaSchema = true;
    else if (basename(dir) === 'migrations') folder(dirname(dir)).names.add('migrations');
    else folder(dir).names.add(basename(file));
  }
  return folders;
}

export function readProjectFiles(workspaceRoot: string, root: string, found: { names: Set<string>; prismaSchema: boolean }): ProjectFiles {
  const read = (f: string) => (found.names.has(f) ? readFileSync(join(workspaceRoot, root, f), 'utf8') : undefined);
  return { ...found, packageJson: read('package.json'), projectJson: read('project.json') };
}

function parseJson<T>(text: string | undefined): T | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/**
 * `"start": "node dist/main.js"` becomes an argv; anything needing a shell falls back to `main`.
 * Without either the roll-out starts the built entry point (image/service-source.ts).
 */
function startCommand(pkg: Manifest | undefined): string[] | undefined {
  const script = pkg?.scripts?.start?.trim();
  if (script && /^node(\s+[\w@./=-]+)+$/.test(script)) return script.split(/\s+/);
  return pkg?.main ? ['node', pkg.main] : undefined;
}

const ROLE_TAG = /^deploy:(backend|frontend|package|none)$/;

/**
 * One detector per artifact kind, by file presence only (no process is spawned): a container
 * file makes a backend, a Vite config or index.html a static frontend, a publishable manifest
 * (non-private package.json, Cargo.toml) a package. A `deploy:<role>` tag overrides.
 */
export function detectProject(root: string, input: ProjectFiles): ProjectFacts | undefined {
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
    dependsOnPackages: Object.keys({ ...pkg?.dependencies, ...pkg?.peerDependencies }),
    packageName: pkg?.name,
  };
}
