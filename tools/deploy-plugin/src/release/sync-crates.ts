import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { cargoUpdateWorkspace } from '../commands/cargo.ts';
import { UserError } from '../core/errors.ts';
import type { Runner } from '../core/run.ts';
import { readPackageField, setDependencyRequirement, setPackageVersion } from '../publishers/cargo-toml.ts';
import { workspaceDirs } from '../publishers/discover.ts';

export interface CrateSync {
  crate: string;
  from: string;
  to: string;
}

/**
 * After `changeset version`: each crate mirrored by a private package.json takes that version
 * into its Cargo.toml, every crate of the workspace that requires it gets the new requirement,
 * and each Cargo.lock is refreshed offline. Changesets' versions (pre mode, snapshots) are
 * semver, which cargo accepts; anything else is refused before a file is written.
 */
export async function syncCrates(root: string, runner: Runner): Promise<CrateSync[]> {
  const manifests = workspaceDirs(root)
    .map((dir) => join(dir, 'Cargo.toml'))
    .filter((m) => existsSync(m));
  const changes: CrateSync[] = [];
  for (const manifest of manifests) {
    const pkgPath = join(manifest, '..', 'package.json');
    const mirror = JSON.parse(readFileSync(pkgPath, 'utf8')) as { version?: string; private?: boolean };
    const toml = readFileSync(manifest, 'utf8');
    const crate = readPackageField(toml, 'name', manifest);
    const current = readPackageField(toml, 'version', manifest);
    if (!crate || !current || !mirror.version || mirror.version === current) continue;
    if (!semver.valid(mirror.version)) {
      throw new UserError(`${pkgPath}: version '${mirror.version}' is not valid semver, so cargo cannot take it; nothing was changed`);
    }
    changes.push({ crate, from: current, to: mirror.version });
  }
  for (const manifest of manifests) {
    let toml = readFileSync(manifest, 'utf8');
    const before = toml;
    const own = changes.find((c) => c.crate === readPackageField(toml, 'name', manifest));
    if (own) toml = setPackageVersion(toml, own.to, manifest);
    for (const c of changes) toml = setDependencyRequirement(toml, c.crate, c.to, manifest);
    if (toml !== before) writeFileSync(manifest, toml);
  }
  if (changes.length) {
    for (const manifest of manifests) {
      if (existsSync(join(manifest, '..', 'Cargo.lock'))) await runner.run(cargoUpdateWorkspace(manifest));
    }
  }
  return changes;
}
