import { copyFileSync, existsSync, linkSync, mkdirSync, readlinkSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../core/errors.ts';
import type { SiteFile } from './build-files.ts';
import type { ReleaseManifest } from './manifest.ts';
import { onlyIn, type CdnProvider, type StageResult } from './provider.ts';

/** A hard link (same file system), else a copy. */
function link(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  try {
    linkSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    copyFileSync(from, to);
  }
}

/**
 * A folder: `objects/<sha256>` holds each content once; `releases/<id>/` is a release's tree of
 * links to them; `pool/` holds the assets of every kept release at their paths (open tabs load
 * their chunks from there); `current` is a symbolic link to the release served, switched by a
 * rename, so a reader sees the old release or the new one, never a mix.
 */
export class FsProvider implements CdnProvider {
  readonly where: string;
  private readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
    this.where = dir;
  }

  async check(): Promise<void> {
    try {
      mkdirSync(join(this.dir, 'releases'), { recursive: true });
      const probe = join(this.dir, `.probe-${process.pid}`);
      writeFileSync(probe, '');
      unlinkSync(probe);
    } catch (err) {
      throw new UserError(`the site folder ${this.dir} cannot be written (${(err as Error).message}); nothing was run`);
    }
  }

  private object(sha: string): string {
    return join(this.dir, 'objects', sha.slice(0, 2), sha);
  }

  private release(id: string): string {
    return join(this.dir, 'releases', id);
  }

  async stage(release: ReleaseManifest, files: SiteFile[], _known: ReleaseManifest[], uploaded: (path: string) => void): Promise<StageResult> {
    const result: StageResult = { uploaded: 0, uploadedBytes: 0, reused: 0 };
    for (const f of files) {
      const obj = this.object(f.sha256);
      if (existsSync(obj)) {
        result.reused++;
        continue;
      }
      mkdirSync(dirname(obj), { recursive: true });
      const tmp = `${obj}.${process.pid}.tmp`;
      writeFileSync(tmp, f.body(), { mode: 0o644 });
      renameSync(tmp, obj);
      uploaded(f.path);
      result.uploaded++;
      result.uploadedBytes += f.size;
    }
    for (const f of files)
      if (f.immutable && !existsSync(join(this.dir, 'pool', f.path))) link(this.object(f.sha256), join(this.dir, 'pool', f.path));
    const target = this.release(release.id);
    if (!existsSync(target)) {
      // Built aside and renamed into place: a release folder is complete or absent.
      const staging = join(this.dir, 'releases', `.staging-${release.id}-${process.pid}`);
      rmSync(staging, { recursive: true, force: true });
      for (const f of files) link(this.object(f.sha256), join(staging, f.path));
      mkdirSync(staging, { recursive: true });
      renameSync(staging, target);
    }
    return result;
  }

  async missing(release: ReleaseManifest, paths: string[]): Promise<string[]> {
    return paths.filter((p) => !existsSync(join(this.release(release.id), p)));
  }

  async serve(release: ReleaseManifest): Promise<{ switched: number }> {
    const current = join(this.dir, 'current');
    const to = join('releases', release.id);
    if (existsSync(current) && readlinkSync(current) === to) return { switched: 0 };
    const tmp = join(this.dir, `current.${process.pid}.tmp`);
    rmSync(tmp, { force: true });
    symlinkSync(to, tmp);
    renameSync(tmp, current);
    return { switched: 1 };
  }

  async remove(expired: ReleaseManifest[], kept: ReleaseManifest[]): Promise<{ deleted: number }> {
    const keptObjects = new Set(kept.flatMap((m) => m.files.map((f) => f.sha256)));
    let deleted = 0;
    for (const f of onlyIn(expired, kept)) if (f.immutable) rmSync(join(this.dir, 'pool', f.path), { force: true });
    for (const m of expired) {
      rmSync(this.release(m.id), { recursive: true, force: true });
      for (const f of m.files) {
        const obj = this.object(f.sha256);
        if (!keptObjects.has(f.sha256) && existsSync(obj)) {
          rmSync(obj);
          deleted++;
        }
      }
    }
    return { deleted };
  }

  close(): void {}
}
