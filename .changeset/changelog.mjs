// Changelog lines that link to GitHub commits and pull requests, made offline: the repository
// comes from the config, PR numbers from the commit subject ("... (#123)"), read with git.
// (@changesets/changelog-github asks GitHub's API for the same, which CI here cannot reach.)
import { execFileSync } from 'node:child_process';

function subjectOf(sha) {
  try {
    return execFileSync('git', ['log', '-1', '--format=%s', sha], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

function links(commit, repo) {
  if (!commit) return '';
  const base = `https://github.com/${repo}`;
  const pr = /\(#(\d+)\)\s*$/.exec(subjectOf(commit))?.[1];
  return `${pr ? `[#${pr}](${base}/pull/${pr}) ` : ''}[\`${commit.slice(0, 7)}\`](${base}/commit/${commit}) `;
}

function requireRepo(options) {
  if (!options?.repo) throw new Error('the changelog generator needs {"repo": "owner/name"} in .changeset/config.json');
  return options.repo;
}

export default {
  getReleaseLine: async (changeset, _type, options) => {
    const [first, ...rest] = changeset.summary.split('\n').map((l) => l.trimEnd());
    const tail = rest.length ? `\n${rest.map((l) => `  ${l}`).join('\n')}` : '';
    return `- ${links(changeset.commit, requireRepo(options))}${first}${tail}`;
  },
  getDependencyReleaseLine: async (changesets, dependenciesUpdated, options) => {
    if (dependenciesUpdated.length === 0) return '';
    const repo = requireRepo(options);
    const commits = changesets.map((c) => c.commit).filter(Boolean);
    const head = `- Updated dependencies${commits.length ? ` ${commits.map((c) => `[\`${c.slice(0, 7)}\`](https://github.com/${repo}/commit/${c})`).join(', ')}` : ''}`;
    return [head, ...dependenciesUpdated.map((d) => `  - ${d.name}@${d.newVersion}`)].join('\n');
  },
};
