/** The fields of a package.json that point into the package, as npm and Node read them. */
interface EntryManifest {
  main?: unknown;
  module?: unknown;
  types?: unknown;
  typings?: unknown;
  bin?: unknown;
  exports?: unknown;
}

export interface EntryPoint {
  /** Field path: `main`, `bin.pod`, `exports["."].import`. */
  field: string;
  path: string;
}

/** Every file path an exports map names (subpaths and conditions, any depth); patterns with `*` are skipped. */
function exportTargets(value: unknown, field: string, out: EntryPoint[]): void {
  if (typeof value === 'string') {
    if (!value.includes('*')) out.push({ field, path: value });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => exportTargets(v, `${field}[${i}]`, out));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) exportTargets(v, `${field}[${JSON.stringify(k)}]`, out);
  }
}

/** Pure: what a manifest says its consumers load. */
export function entryPoints(manifest: EntryManifest): EntryPoint[] {
  const out: EntryPoint[] = [];
  for (const field of ['main', 'module', 'types', 'typings'] as const) {
    const v = manifest[field];
    if (typeof v === 'string' && v) out.push({ field, path: v });
  }
  if (typeof manifest.bin === 'string') out.push({ field: 'bin', path: manifest.bin });
  else if (manifest.bin && typeof manifest.bin === 'object')
    for (const [k, v] of Object.entries(manifest.bin)) if (typeof v === 'string') out.push({ field: `bin.${k}`, path: v });
  exportTargets(manifest.exports, 'exports', out);
  return out;
}

const clean = (p: string) => p.replace(/^\.\//, '').replace(/\/$/, '');

/**
 * Pure: the entry points whose file is not among the tarball's files. `main` resolves as Node
 * does: the path, with .js/.json/.node, or its folder's index.js.
 */
export function missingEntryPoints(manifest: EntryManifest, tarballFiles: string[]): EntryPoint[] {
  const files = new Set(tarballFiles.map(clean));
  const present = (e: EntryPoint) => {
    const p = clean(e.path);
    if (files.has(p)) return true;
    return e.field === 'main' && ['.js', '.json', '.node', '/index.js', '/index.json'].some((ext) => files.has(`${p}${ext}`));
  };
  return entryPoints(manifest).filter((e) => !present(e));
}
