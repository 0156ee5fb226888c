import { UserError } from '../core/errors.ts';
import type { SiteFile } from './build-files.ts';
import { changedAssets, entryOrder, releaseId, type ReleaseFile, type ReleaseManifest } from './manifest.ts';
import type { CdnProvider, StageResult } from './provider.ts';
import { referencedPaths } from './references.ts';
import type { SiteReleases } from './releases.ts';
import { retention, switched, type ReleaseEntry, type ReleaseIndex } from './retention.ts';

export interface ReleaseMeta {
  version: string;
  gitSha: string;
  deployId: string;
}

export interface Published {
  id: string;
  /** The release that served before, if any: what a rollback of this deploy goes back to. */
  previous?: string;
  stage: StageResult;
  switched: number;
}

const manifestOf = (files: ReleaseFile[]): ReleaseManifest => {
  const bare = files.map(({ path, sha256, md5, size, type, immutable }) => ({ path, sha256, md5, size, type, immutable }));
  return { id: releaseId(bare), files: bare };
};

/** Paths every HTML entry point of a release loads. */
function references(files: SiteFile[]): { from: string; path: string }[] {
  return entryOrder(files)
    .filter((f) => /\.html?$/i.test(f.path))
    .flatMap((f) => referencedPaths((f as SiteFile).body().toString('utf8'), f.path).map((path) => ({ from: f.path, path })));
}

/**
 * Pure: why a build cannot be released: an entry point loads a file the build does not have, or
 * an asset changed content under a name an earlier release stored (browsers cache it for a year).
 */
export function releaseProblems(files: SiteFile[], known: ReleaseManifest[], immutableGlobs: string[]): string[] {
  const paths = new Set(files.map((f) => f.path));
  const problems = references(files)
    .filter((r) => !paths.has(r.path))
    .map((r) => `${r.from} loads ${r.path}, which the build output does not have`);
  for (const c of changedAssets(files, known)) {
    problems.push(
      `${c.path} has other content than in release ${c.release} under the same name; files matching ${immutableGlobs.join(', ')} are cached for a year, so their names must change with their content (fingerprint it, or move it out of those paths)`,
    );
  }
  return problems;
}

/** The manifests of the releases still stored. */
export async function knownManifests(releases: SiteReleases, index: ReleaseIndex): Promise<ReleaseManifest[]> {
  return Promise.all(index.releases.filter((r) => !r.pruned).map((r) => releases.manifest(r.id)));
}

/**
 * Publishes a build as a release: stores what is not stored yet (assets first), checks every file
 * the entry points load is stored, then switches the entry points, and records the release. A
 * switch that fails part-way is put back to the release that served before.
 */
export async function publishRelease(p: {
  provider: CdnProvider;
  releases: SiteReleases;
  files: SiteFile[];
  meta: ReleaseMeta;
  immutableGlobs: string[];
  log: (line: string) => void;
}): Promise<Published> {
  const index = await p.releases.index();
  const known = await knownManifests(p.releases, index);
  const problems = releaseProblems(p.files, known, p.immutableGlobs);
  if (problems.length) throw new UserError(`the build cannot be released, so nothing was uploaded:\n  ${problems.join('\n  ')}`);
  const manifest = manifestOf(p.files);
  await p.releases.saveManifest(manifest);
  let last = Date.now();
  const stage = await p.provider.stage(manifest, p.files, known, () => {
    if (Date.now() - last < 2_000) return;
    last = Date.now();
    p.log(`uploading to ${p.provider.where}...`);
  });
  const referenced = [...new Set(references(p.files).map((r) => r.path))];
  const missing = await p.provider.missing(manifest, referenced);
  if (missing.length)
    throw new UserError(`after the upload, ${p.provider.where} lacks files the entry points load: ${missing.join(', ')}; nothing was switched`);
  const previous = index.current;
  let result: { switched: number };
  try {
    result = await p.provider.serve(manifest);
  } catch (err) {
    if (previous && previous !== manifest.id) await p.provider.serve(await p.releases.manifest(previous)).catch(() => undefined);
    throw err;
  }
  const entry: Omit<ReleaseEntry, 'servedAt' | 'retiredAt' | 'createdAt'> = {
    id: manifest.id,
    ...p.meta,
    files: manifest.files.length,
    bytes: manifest.files.reduce((n, f) => n + f.size, 0),
  };
  await p.releases.saveIndex(switched(index, entry, new Date().toISOString()));
  return { id: manifest.id, previous: previous !== manifest.id ? previous : undefined, stage, switched: result.switched };
}

/** Refuses a release that cannot serve again (pruned, or files gone), before anything changes; returns its manifest. */
export async function assertServable(provider: CdnProvider, releases: SiteReleases, id: string): Promise<ReleaseManifest> {
  const manifest = await releases.manifest(id);
  const gone = await provider.missing(
    manifest,
    manifest.files.map((f) => f.path),
  );
  if (gone.length) {
    throw new UserError(
      `release ${id} cannot serve again: ${gone.length} of its files are gone from ${provider.where} (${gone.slice(0, 3).join(', ')}${gone.length > 3 ? ', ...' : ''}), pruned or deleted; nothing was changed`,
    );
  }
  return manifest;
}

/** Serves an earlier release again (its files are still stored): no upload. Refused when any of its files is gone. */
export async function serveAgain(p: { provider: CdnProvider; releases: SiteReleases; target: ReleaseEntry }): Promise<number> {
  const manifest = await assertServable(p.provider, p.releases, p.target.id);
  const { switched: n } = await p.provider.serve(manifest);
  const index = await p.releases.index();
  const { servedAt: _s, retiredAt: _r, createdAt: _c, ...entry } = p.target;
  await p.releases.saveIndex(switched(index, { ...entry, pruned: undefined }, new Date().toISOString()));
  return n;
}

/** Deletes what only releases outside the retention hold, and marks them pruned. */
export async function pruneSite(p: {
  provider: CdnProvider;
  releases: SiteReleases;
  keep: number;
  graceMs: number;
  now: number;
}): Promise<{ expired: string[]; deleted: number }> {
  const index = await p.releases.index();
  const { kept, expired } = retention(index, p.now, p.keep, p.graceMs);
  if (!expired.length) return { expired, deleted: 0 };
  const [keptManifests, expiredManifests] = await Promise.all([
    Promise.all(kept.map((id) => p.releases.manifest(id))),
    Promise.all(expired.map((id) => p.releases.manifest(id))),
  ]);
  const { deleted } = await p.provider.remove(expiredManifests, keptManifests);
  const after = await p.releases.index();
  await p.releases.saveIndex({ ...after, releases: after.releases.map((r) => (expired.includes(r.id) ? { ...r, pruned: true } : r)) });
  return { expired, deleted };
}
