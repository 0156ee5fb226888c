import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { dependencyNames, readPackageField } from './cargo-toml.ts';
import { UserError } from '../core/errors.ts';
import type { ReleasePackage } from './publisher.ts';

interface Manifest {
  name?: string;
  version?: string;
  private?: boolean;
  workspaces?: string[] | { packages?: string[] };
  publishConfig?: { directory?: string };
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  nx?: { name?: string };
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Manifest;

/** The workspace package folders: npm workspaces patterns (`dir/*` or an exact folder). */
export function workspaceDirs(root: string): string[] {
  const ws = readJson(join(root, 'package.json')).workspaces;
  const patterns = Array.isArray(ws) ? ws : (ws?.packages ?? []);
  return patterns.flatMap((p) => {
    if (!p.endsWith('/*')) return existsSync(join(root, p, 'package.json')) ? [resolve(root, p)] : [];
    const parent = resolve(root, p.slice(0, -2));
    if (!existsSync(parent)) return [];
    return readdirSync(parent, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(parent, d.name, 'package.json')))
      .map((d) => join(parent, d.name));
  });
}

/**
 * The release package a workspace folder holds, with the raw names of what it depends on: a
 * non-private package.json is an npm package; a private one beside a Cargo.toml mirrors a crate.
 */
export function describePackage(dir: string): { pkg: ReleasePackage; wants: string[] } | undefined {
  const manifest = readJson(join(dir, 'package.json'));
  const project = manifest.nx?.name ?? manifest.name ?? dir;
  const changelog = existsSync(join(dir, 'CHANGELOG.md')) ? join(dir, 'CHANGELOG.md') : undefined;
  const cargo = join(dir, 'Cargo.toml');
  if (manifest.private && existsSync(cargo)) {
    const toml = readFileSync(cargo, 'utf8');
    const pkg: ReleasePackage = {
      kind: 'crate',
      name: readPackageField(toml, 'name', cargo) ?? project,
      version: readPackageField(toml, 'version', cargo) ?? manifest.version ?? '0.0.0',
      project,
      dir,
      manifest: cargo,
      dependencies: [],
      changelog,
    };
    return { pkg, wants: dependencyNames(toml, cargo) };
  }
  if (manifest.private || !manifest.name || !manifest.version) return undefined;
  const pkg: ReleasePackage = {
    kind: 'npm',
    name: manifest.name,
    version: manifest.version,
    project,
    dir,
    publishDir: manifest.publishConfig?.directory ? join(dir, manifest.publishConfig.directory) : dir,
    dependencies: [],
    changelog,
  };
  return { pkg, wants: Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies, ...manifest.optionalDependencies }) };
}

/** What a release publishes, each with its dependencies among the others (they give the order). */
export function discoverReleasePackages(root: string): ReleasePackage[] {
  const described = workspaceDirs(root).flatMap((dir) => describePackage(dir) ?? []);
  const names = new Set(described.map((d) => d.pkg.name));
  return described.map(({ pkg, wants }) => ({ ...pkg, dependencies: wants.filter((d) => names.has(d) && d !== pkg.name) }));
}

/** The package a project publishes as `kind`, or an error saying what it lacks. */
export function releasePackageAt(dir: string, kind: ReleasePackage['kind'], project: string): ReleasePackage {
  const described = existsSync(join(dir, 'package.json')) ? describePackage(dir) : undefined;
  if (!described || described.pkg.kind !== kind) {
    throw new UserError(
      `${project}: publishing it ${kind === 'npm' ? 'to npm needs a non-private package.json with a name and version' : 'as a crate needs a Cargo.toml beside a private package.json'} in ${dir}`,
    );
  }
  return { ...described.pkg, project }; // the Nx project's name, which a built package.json does not carry
}
