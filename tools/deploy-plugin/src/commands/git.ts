import type { Command } from '../core/run.ts';

/** The git user's name (who deploys, outside CI). */
export function gitUserName(): Command {
  return { argv: ['git', 'config', 'user.name'] };
}

/** The commit checked out: what a deploy records and builds. */
export function gitHead(): Command {
  return { argv: ['git', 'rev-parse', 'HEAD'] };
}

export function gitListTags(): Command {
  return { argv: ['git', 'tag', '--list'] };
}

/**
 * Tags HEAD with every name in one git process and one transaction: all or none. `create`
 * refuses to move a tag that exists.
 */
export function gitCreateTags(tags: string[]): Command {
  return { argv: ['git', 'update-ref', '--stdin'], input: `start\n${tags.map((t) => `create refs/tags/${t} HEAD\n`).join('')}commit\n` };
}

export function gitPushTags(remote: string, tags: string[]): Command {
  return { argv: ['git', 'push', remote, ...tags.map((t) => `refs/tags/${t}`)] };
}

/** A repository's tip (a crate registry's git index); `shallow` fetches nothing more. */
export function gitShallowClone(url: string, dir: string, shallow: boolean): Command {
  return { argv: ['git', 'clone', '--quiet', ...(shallow ? ['--depth', '1'] : []), url, dir] };
}

/** Exits 0 when the commit is in this clone (a shallow CI checkout may lack it). */
export function gitHasCommit(sha: string): Command {
  return { argv: ['git', 'cat-file', '-e', `${sha}^{commit}`] };
}
