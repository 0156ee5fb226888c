import { Octokit } from '@octokit/rest';

export interface GitHubTarget {
  repository: string;
  apiUrl: string;
  token: string;
}

export type ReleaseOutcome = { created: true; url: string } | { created: false; url: string };

/**
 * One GitHub release per tag, its body the changelog section. An existing release is left
 * alone (one created meanwhile by a racing run counts as existing too).
 */
export async function ensureRelease(target: GitHubTarget, tag: string, body: string, prerelease: boolean): Promise<ReleaseOutcome> {
  const [owner, repo] = target.repository.split('/') as [string, string];
  const octokit = new Octokit({ auth: target.token, baseUrl: target.apiUrl.replace(/\/$/, ''), request: { retries: 0 } });
  try {
    const existing = await octokit.rest.repos.getReleaseByTag({ owner, repo, tag });
    return { created: false, url: existing.data.html_url };
  } catch (err) {
    if ((err as { status?: number }).status !== 404) throw err;
  }
  try {
    const created = await octokit.rest.repos.createRelease({ owner, repo, tag_name: tag, name: tag, body, prerelease });
    return { created: true, url: created.data.html_url };
  } catch (err) {
    // GitHub answers 422 already_exists, Gitea 409 Conflict.
    if (![409, 422].includes((err as { status?: number }).status ?? 0)) throw err;
    const existing = await octokit.rest.repos.getReleaseByTag({ owner, repo, tag });
    return { created: false, url: existing.data.html_url };
  }
}
