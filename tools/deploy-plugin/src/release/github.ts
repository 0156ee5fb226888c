/** GitHub's REST API (or GitHub Enterprise's, or a forge speaking it: Gitea under /api/v1) for releases. */
export interface GitHubTarget {
  repository: string;
  apiUrl: string;
  token: string;
}

export type ReleaseOutcome = { created: true; url: string } | { created: false; url: string };

/** A refused call, with the status the API answered and its own message. */
export class GitHubApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** One call with the headers GitHub asks for; the JSON answer, or a GitHubApiError saying what was refused. */
async function call(target: GitHubTarget, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ html_url: string }> {
  const url = `${target.apiUrl.replace(/\/$/, '')}${path}`;
  const res = await fetch(url, {
    method,
    headers: {
      accept: 'application/vnd.github+json',
      authorization: `token ${target.token}`,
      'user-agent': 'nx-deploy',
      'x-github-api-version': '2022-11-28',
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!res.ok) {
    const said = (() => {
      try {
        return (JSON.parse(text) as { message?: string }).message;
      } catch {
        return undefined;
      }
    })();
    throw new GitHubApiError(res.status, `${method} ${url} answered ${res.status}${said ? `: ${said}` : ''}`);
  }
  return JSON.parse(text) as { html_url: string };
}

/**
 * One GitHub release per tag, its body the changelog section. An existing release is left
 * alone (one created meanwhile by a racing run counts as existing too).
 */
export async function ensureRelease(target: GitHubTarget, tag: string, body: string, prerelease: boolean): Promise<ReleaseOutcome> {
  const [owner, repo] = target.repository.split('/').map(encodeURIComponent) as [string, string];
  const byTag = `/repos/${owner}/${repo}/releases/tags/${encodeURIComponent(tag)}`;
  try {
    return { created: false, url: (await call(target, 'GET', byTag)).html_url };
  } catch (err) {
    if ((err as GitHubApiError).status !== 404) throw err;
  }
  try {
    const created = await call(target, 'POST', `/repos/${owner}/${repo}/releases`, { tag_name: tag, name: tag, body, prerelease });
    return { created: true, url: created.html_url };
  } catch (err) {
    // GitHub answers 422 already_exists, Gitea 409 Conflict.
    if (![409, 422].includes((err as GitHubApiError).status ?? 0)) throw err;
    return { created: false, url: (await call(target, 'GET', byTag)).html_url };
  }
}
