import type { Command } from '../core/run.ts';

/**
 * A tar stream of the paths listed (NUL-separated) in `listFile`, relative to `root`, folders not
 * descended into (the list names every file); `rename` is a sed expression applied to names.
 */
export function tarCreateFromList(root: string, listFile: string, rename?: string): Command {
  return { argv: ['tar', '-C', root, '--no-recursion', '--null', '-T', listFile, ...(rename ? ['--transform', rename] : []), '-cf', '-'] };
}

/** Unpacks a tar stream from standard input into `dir`. */
export function tarExtract(dir: string): Command {
  return { argv: ['tar', '-C', dir, '-xf', '-'] };
}
