import type { Command } from '../core/run.ts';

/** `npm pack` of package folders into `dest`, in one process; prints JSON describing each tarball. */
export function npmPack(packageDirs: string[], dest: string): Command {
  return { argv: ['npm', 'pack', '--json', '--pack-destination', dest, ...packageDirs] };
}

/**
 * Publishes an already packed tarball: what was built and tested is what goes out. The registry
 * and its token come from a temporary npmrc (`userconfig`), never from argv.
 */
export function npmPublish(tarball: string, opts: { registry: string; tag: string; userconfig: string; provenance: boolean }): Command {
  return {
    argv: [
      'npm',
      'publish',
      tarball,
      '--registry',
      opts.registry,
      '--tag',
      opts.tag,
      '--access',
      'public',
      '--userconfig',
      opts.userconfig,
      ...(opts.provenance ? ['--provenance'] : []),
    ],
  };
}

/** The npmrc line that authenticates to a registry; npm expands ${VAR} itself, so no secret is written. */
export function npmrcAuthLine(registry: string, tokenVariable: string): string {
  const u = new URL(registry);
  return `//${u.host}${u.pathname.endsWith('/') ? u.pathname : `${u.pathname}/`}:_authToken=\${${tokenVariable}}`;
}

/** The production dependency tree's advisories as JSON (exit 1 when there are any); `registry` answers the bulk advisory API. */
export function npmAudit(opts: { registry?: string }): Command {
  return { argv: ['npm', 'audit', '--json', '--omit=dev', ...(opts.registry ? ['--registry', opts.registry] : [])] };
}
