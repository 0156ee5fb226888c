import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { minimatch } from 'minimatch';
import { contentTypeOf } from './content-types.ts';
import { fileOf, type ReleaseFile } from './manifest.ts';

/** A file of a release and where its bytes are: a file of the build, or content written for this environment. */
export interface SiteFile extends ReleaseFile {
  body(): Buffer;
}

export interface BuildFiles {
  files: SiteFile[];
  /** Symbolic links that lead out of the build output (or nowhere): never published. */
  skipped: { path: string; why: string }[];
}

const inside = (root: string, target: string) => target === root || target.startsWith(root + sep);

/**
 * Every file of a build output, hashed, with `generated` files (config.json) replacing or adding
 * to them. A symbolic link is followed only while it stays inside the output: one pointing
 * outside (a secret, the home folder) is reported and left out.
 */
export function buildFiles(root: string, opts: { immutable: string[]; generated: Record<string, string> }): BuildFiles {
  const realRoot = realpathSync(root);
  const isImmutable = (path: string) => opts.immutable.some((g) => minimatch(path, g, { dot: true }));
  const files: SiteFile[] = [];
  const skipped: BuildFiles['skipped'] = [];
  const visited = new Set<string>();
  const walk = (dir: string) => {
    const real = realpathSync(dir);
    if (visited.has(real)) return; // a link back up the tree
    visited.add(real);
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const abs = join(dir, entry.name);
      const path = relative(root, abs).split(sep).join('/');
      let target = abs;
      if (entry.isSymbolicLink()) {
        try {
          target = realpathSync(abs);
        } catch {
          skipped.push({ path, why: 'a symbolic link to nothing' });
          continue;
        }
        if (!inside(realRoot, target)) {
          skipped.push({ path, why: `a symbolic link out of the build output (to ${target})` });
          continue;
        }
      }
      const stat = statSync(target);
      if (stat.isDirectory()) walk(abs);
      else if (stat.isFile() && !(path in opts.generated)) {
        const body = readFileSync(target);
        files.push({ ...fileOf(path, body, contentTypeOf(path), isImmutable(path)), body: () => readFileSync(target) });
      }
    }
  };
  walk(root);
  for (const [path, text] of Object.entries(opts.generated)) {
    const body = Buffer.from(text);
    files.push({ ...fileOf(path, body, contentTypeOf(path), false), body: () => body });
  }
  return { files, skipped };
}
