import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { tarCreateFromList, tarExtract } from '../commands/tar.ts';
import { UserError } from '../core/errors.ts';
import type { Runner } from '../core/run.ts';

interface LockEntry {
  version?: string;
  link?: boolean;
  resolved?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

/** Node's lookup: <dir>/node_modules/<name> from the requiring package up to the workspace root. */
function resolveFrom(packages: Record<string, LockEntry>, fromLoc: string, name: string): string | undefined {
  let dir = fromLoc;
  for (;;) {
    const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!dir) return undefined;
    const parent = dirname(dir);
    dir = parent === '.' ? '' : parent;
  }
}

/**
 * Pure: the lockfile locations of a package's production dependencies (dependencies, optional
 * ones when installed, required peers), resolved the way Node resolves them.
 */
export function productionClosure(packages: Record<string, LockEntry>, rootLoc: string, rootManifest: LockEntry): Set<string> {
  const found = new Set<string>();
  const visit = (fromLoc: string, entry: LockEntry, who: string) => {
    const wanted: Array<[string, boolean]> = [
      ...Object.keys(entry.dependencies ?? {}).map((n): [string, boolean] => [n, true]),
      ...Object.keys(entry.optionalDependencies ?? {}).map((n): [string, boolean] => [n, false]),
      ...Object.keys(entry.peerDependencies ?? {}).map((n): [string, boolean] => [n, !entry.peerDependenciesMeta?.[n]?.optional]),
    ];
    for (const [name, required] of wanted) {
      const loc = resolveFrom(packages, fromLoc, name);
      if (!loc) {
        if (required) throw new UserError(`${who} needs ${name}, which is not installed in the workspace's node_modules: run npm ci`);
        continue;
      }
      if (found.has(loc)) continue;
      const dep = packages[loc]!;
      if (dep.link)
        throw new UserError(
          `${who} depends on the workspace package ${name}: image contexts copy installed packages only; bundle it or publish it first`,
        );
      found.add(loc);
      visit(loc, dep, name);
    }
  };
  visit(rootLoc, rootManifest, rootLoc);
  return found;
}

/**
 * A build context for a service: `files` from its source folder (the project, or its build
 * output) plus a production node_modules for the package.json there, copied from the
 * workspace's installed tree (exact lockfile versions, nothing downloaded; ~1 s against ~25 s for
 * npm install --omit=dev), with one tar-to-tar pipe. `missingHint` says how to make a missing file.
 */
export async function prepareContext(
  workspaceRoot: string,
  packageDir: string,
  contextDir: string,
  files: string[],
  runner: Runner,
  missingHint: string,
): Promise<number> {
  rmSync(contextDir, { recursive: true, force: true });
  mkdirSync(contextDir, { recursive: true });
  for (const f of files) {
    if (!existsSync(join(packageDir, f))) throw new UserError(`${join(relative(workspaceRoot, packageDir), f)} does not exist: ${missingHint}`);
    cpSync(join(packageDir, f), join(contextDir, f), { recursive: true });
  }
  // A bundled build has no package.json: nothing to install beside it.
  if (!existsSync(join(packageDir, 'package.json'))) return 0;
  const lockPath = [join(workspaceRoot, 'node_modules', '.package-lock.json'), join(workspaceRoot, 'package-lock.json')].find(existsSync);
  if (!lockPath) throw new UserError(`no package-lock.json in ${workspaceRoot}: run npm ci first`);
  const lock = JSON.parse(readFileSync(lockPath, 'utf8')) as { packages: Record<string, LockEntry> };
  const pkgLoc = relative(workspaceRoot, packageDir);
  const closure = productionClosure(lock.packages, pkgLoc, JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as LockEntry);
  const members: string[] = [];
  for (const loc of closure) {
    members.push(loc);
    for (const entry of readdirSync(join(workspaceRoot, loc), { recursive: true }) as string[]) {
      if (!/(^|\/)node_modules(\/|$)/.test(entry)) members.push(`${loc}/${entry}`);
    }
  }
  const list = join(contextDir, '.node_modules.list');
  writeFileSync(list, `${members.join('\0')}\0`);
  try {
    await runner.pipe(tarCreateFromList(workspaceRoot, list, `s,^${pkgLoc}/node_modules/,node_modules/,`), tarExtract(contextDir));
  } finally {
    rmSync(list, { force: true });
  }
  return closure.size;
}
