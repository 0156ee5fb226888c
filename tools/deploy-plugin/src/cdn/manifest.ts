import { createHash } from 'node:crypto';

/** One file of a release: what it is by content, how it is served, and whether its name is tied to its content. */
export interface ReleaseFile {
  /** Site-relative, `/`-separated: `index.html`, `assets/index-3f2a.js`. */
  path: string;
  sha256: string;
  /** What S3 reports as the ETag of a single-part upload: unchanged objects are recognised from a listing. */
  md5: string;
  size: number;
  type: string;
  /** An asset (name fingerprinted, cached for a year, never overwritten) rather than an entry point (revalidated, switched last). */
  immutable: boolean;
}

/** A release: its files, addressed by content. Its id is the hash of that list, so an unchanged build is the same release. */
export interface ReleaseManifest {
  id: string;
  files: ReleaseFile[];
}

/** Pure: the id of a release with these files (the same files give the same id, whatever their order). */
export function releaseId(files: ReleaseFile[]): string {
  const h = createHash('sha256');
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) h.update(`${f.path}\0${f.sha256}\0${f.type}\0${f.immutable ? 1 : 0}\n`);
  return h.digest('hex').slice(0, 12);
}

export function fileOf(path: string, body: Buffer, type: string, immutable: boolean): ReleaseFile {
  return {
    path,
    sha256: createHash('sha256').update(body).digest('hex'),
    md5: createHash('md5').update(body).digest('hex'),
    size: body.length,
    type,
    immutable,
  };
}

/** Entry points in the order they go live: other files first, HTML after them, the root index.html last. */
export function entryOrder(files: ReleaseFile[]): ReleaseFile[] {
  const rank = (f: ReleaseFile) => (f.path === 'index.html' ? 2 : /\.html?$/i.test(f.path) ? 1 : 0);
  return files.filter((f) => !f.immutable).sort((a, b) => rank(a) - rank(b) || (a.path < b.path ? -1 : 1));
}

/**
 * Pure: asset paths that an earlier release stored with other content. An asset is cached for a
 * year under its name, so new content under an old name would reach some browsers and not others.
 */
export function changedAssets(files: ReleaseFile[], earlier: ReleaseManifest[]): { path: string; release: string }[] {
  const known = new Map<string, { sha: string; release: string }>();
  for (const m of earlier) for (const f of m.files) if (f.immutable) known.set(f.path, { sha: f.sha256, release: m.id });
  return files.flatMap((f) => {
    const k = f.immutable ? known.get(f.path) : undefined;
    return k && k.sha !== f.sha256 ? [{ path: f.path, release: k.release }] : [];
  });
}
