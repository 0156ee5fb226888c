import type { Command } from '../core/run.ts';

/** `npm pack` of package folders into `dest`, in one process; prints JSON describing each tarball. */
export function npmPack(packageDirs: string[], dest: string): Command {
  return { argv: ['npm', 'pack', '--json', '--pack-destination', dest, ...packageDirs] };
}

/** The production dependency tree's advisories as JSON (exit 1 when there are any); `registry` answers the bulk advisory API. */
export function npmAudit(opts: { registry?: string }): Command {
  return { argv: ['npm', 'audit', '--json', '--omit=dev', ...(opts.registry ? ['--registry', opts.registry] : [])] };
}
