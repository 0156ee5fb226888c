import type { Command } from '../core/run.ts';

/** Exits 0 when the tag exists. */
export function gitTagExists(tag: string): Command {
  return { argv: ['git', 'rev-parse', '--quiet', '--verify', `refs/tags/${tag}`] };
}

/** An annotated tag on the released commit, so it carries who and when. */
export function gitTag(tag: string, message: string): Command {
  return { argv: ['git', 'tag', '--annotate', tag, '--message', message] };
}

export function gitPushTags(remote: string, tags: string[]): Command {
  return { argv: ['git', 'push', remote, ...tags.map((t) => `refs/tags/${t}`)] };
}

/** A repository's tip (a crate registry's git index); `shallow` fetches nothing more. */
export function gitShallowClone(url: string, dir: string, shallow: boolean): Command {
  return { argv: ['git', 'clone', '--quiet', ...(shallow ? ['--depth', '1'] : []), url, dir] };
}
