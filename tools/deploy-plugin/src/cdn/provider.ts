import type { SiteFile } from './build-files.ts';
import type { ReleaseManifest } from './manifest.ts';

export interface StageResult {
  uploaded: number;
  uploadedBytes: number;
  reused: number;
}

/**
 * Where a site's releases are stored and served. A deploy stages a release (stores what is not
 * stored yet, changing nothing that is served), checks it, then serves it: entry points switched
 * last. Nothing is deleted until a prune, and a prune deletes only what no kept release holds.
 */
export interface CdnProvider {
  /** For people: the folder, or s3://bucket/prefix at an endpoint. */
  readonly where: string;
  /** Before anything runs: the store answers, the credentials work, the bucket or folder is there. */
  check(): Promise<void>;
  /** `known`: releases stored before (their files need no upload). `uploaded` reports each file as it is written. */
  stage(release: ReleaseManifest, files: SiteFile[], known: ReleaseManifest[], uploaded: (path: string) => void): Promise<StageResult>;
  /** The paths of `release` among `paths` that are not stored. */
  missing(release: ReleaseManifest, paths: string[]): Promise<string[]>;
  /** Makes a staged release the one served; returns how many objects it changed. */
  serve(release: ReleaseManifest): Promise<{ switched: number }>;
  /** Deletes what only `expired` releases hold. */
  remove(expired: ReleaseManifest[], kept: ReleaseManifest[]): Promise<{ deleted: number }>;
  close(): void;
}

/** Pure: the files `expired` releases hold at paths no kept release holds with that content. */
export function onlyIn(expired: ReleaseManifest[], kept: ReleaseManifest[]): { path: string; sha256: string; immutable: boolean }[] {
  const keep = new Set(kept.flatMap((m) => m.files.map((f) => `${f.path}\0${f.sha256}`)));
  const keptPaths = new Set(kept.flatMap((m) => m.files.map((f) => f.path)));
  const out = new Map<string, { path: string; sha256: string; immutable: boolean }>();
  for (const m of expired) for (const f of m.files) if (!keep.has(`${f.path}\0${f.sha256}`) && !keptPaths.has(f.path)) out.set(f.path, f);
  return [...out.values()];
}
