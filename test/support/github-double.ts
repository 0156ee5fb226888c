import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A DOUBLE of GitHub's REST API (not GitHub, not a recording): the release and tag endpoints a
 * release flow calls through Octokit, kept in memory, on a free 127.0.0.1 port. Status codes and
 * error bodies follow GitHub's so that Octokit raises the same RequestErrors it would in production.
 * Point Octokit at it with `new Octokit({ auth: token, baseUrl: double.url })`.
 *
 *   GET    /repos/{owner}/{repo}/releases                 list, newest first, per_page (max 100) / page, Link header
 *   POST   /repos/{owner}/{repo}/releases                 201; 422 already_exists when the tag has a release
 *   GET    /repos/{owner}/{repo}/releases/latest          newest non-draft, non-prerelease; 404 if none
 *   GET    /repos/{owner}/{repo}/releases/tags/{tag}      404 when absent (drafts are not found by tag, as on GitHub)
 *   GET|PATCH|DELETE /repos/{owner}/{repo}/releases/{id}
 *   GET    /repos/{owner}/{repo}/git/ref/{ref}            e.g. tags/v1.0.0; 404 when absent
 *   POST   /repos/{owner}/{repo}/git/refs                 201; 422 "Reference already exists"
 *
 * Every request needs `authorization: token X` or `Bearer X` with the configured token (401 otherwise).
 * A published (non-draft) release creates its tag if missing, pointing at target_commitish, like GitHub.
 */

export interface Release {
  id: number;
  node_id: string;
  url: string;
  html_url: string;
  assets_url: string;
  upload_url: string;
  tarball_url: string | null;
  zipball_url: string | null;
  tag_name: string;
  target_commitish: string;
  name: string | null;
  body: string | null;
  draft: boolean;
  prerelease: boolean;
  created_at: string;
  published_at: string | null;
  author: { login: string; id: number; type: string };
  assets: unknown[];
}

export interface RecordedRequest {
  method: string;
  /** Path with query string, as sent. */
  path: string;
  /** Parsed JSON body, or the raw text when it is not JSON; undefined when empty. */
  body: unknown;
  /** Whether the request carried the configured token. */
  authorized: boolean;
  /** Status the double answered with. */
  status: number;
}

export interface GitHubDouble {
  /** Base URL for Octokit's baseUrl, e.g. http://127.0.0.1:PORT (no trailing slash). */
  url: string;
  /** All releases, in creation order; `repo` ("owner/name") narrows to one repository. */
  releases(repo?: string): Release[];
  /** Tags as refs (`refs/tags/X` → sha) of one repository. */
  tags(repo: string): Record<string, string>;
  /** Every request received, in order, including refused and fault-injected ones. */
  requests: RecordedRequest[];
  /** The next `count` requests get `status` (default 502) with GitHub's error shape, before auth. */
  failNext(count: number, status?: number): void;
  stop(): Promise<void>;
}

const DOCS = 'https://docs.github.com/rest';
const reasons: Record<number, string> = {
  401: 'Bad credentials',
  404: 'Not Found',
  500: 'Server Error',
  502: 'Server Error',
  503: 'Service Unavailable',
  504: 'We couldn’t respond to your request in time. Sorry about that. Please try resubmitting your request and contact us if the problem persists.',
};

class HttpError extends Error {
  readonly status: number;
  readonly body: Record<string, unknown>;
  constructor(status: number, body: Record<string, unknown>) {
    super(String(body.message));
    this.status = status;
    this.body = body;
  }
}
const fail = (status: number, message: string, extra: Record<string, unknown> = {}) =>
  new HttpError(status, { message, ...extra, documentation_url: DOCS, status: String(status) });
const validationFailed = (resource: string, code: string, field: string) => fail(422, 'Validation Failed', { errors: [{ resource, code, field }] });

export async function startGitHubDouble(options: { token: string; login?: string }): Promise<GitHubDouble> {
  const { token } = options;
  if (!token) throw new Error('startGitHubDouble: give a non-empty token; every request must carry it');
  const login = options.login ?? 'release-bot';
  const byRepo = new Map<string, Release[]>();
  const refsByRepo = new Map<string, Map<string, string>>();
  const requests: RecordedRequest[] = [];
  let nextId = 1;
  let faults: { left: number; status: number } = { left: 0, status: 502 };
  let base = '';

  const releasesOf = (repo: string) => byRepo.get(repo) ?? byRepo.set(repo, []).get(repo)!;
  const refsOf = (repo: string) => refsByRepo.get(repo) ?? refsByRepo.set(repo, new Map()).get(repo)!;
  const fakeSha = (seed: string) => {
    let h = 0x811c9dc5;
    for (const c of seed) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
    return h.toString(16).padStart(8, '0').repeat(5);
  };

  function ensureTag(repo: string, tag: string, commitish: string) {
    const refs = refsOf(repo);
    if (!refs.has(`refs/tags/${tag}`))
      refs.set(`refs/tags/${tag}`, /^[0-9a-f]{40}$/.test(commitish) ? commitish : fakeSha(`${repo}@${commitish}#${tag}`));
  }

  function newRelease(repo: string, input: Record<string, unknown>): Release {
    const tag = input.tag_name;
    if (typeof tag !== 'string' || tag === '') throw validationFailed('Release', 'missing_field', 'tag_name');
    if (releasesOf(repo).some((r) => r.tag_name === tag)) throw validationFailed('Release', 'already_exists', 'tag_name');
    const id = nextId++;
    const now = new Date().toISOString();
    const draft = input.draft === true;
    const commitish = typeof input.target_commitish === 'string' ? input.target_commitish : 'main';
    const api = `${base}/repos/${repo}`;
    const release: Release = {
      id,
      node_id: `RE_double${id}`,
      url: `${api}/releases/${id}`,
      html_url: `${base}/${repo}/releases/tag/${encodeURIComponent(tag)}`,
      assets_url: `${api}/releases/${id}/assets`,
      upload_url: `${base}/repos/${repo}/releases/${id}/assets{?name,label}`,
      tarball_url: draft ? null : `${api}/tarball/${encodeURIComponent(tag)}`,
      zipball_url: draft ? null : `${api}/zipball/${encodeURIComponent(tag)}`,
      tag_name: tag,
      target_commitish: commitish,
      name: typeof input.name === 'string' ? input.name : null,
      body: typeof input.body === 'string' ? input.body : null,
      draft,
      prerelease: input.prerelease === true,
      created_at: now,
      published_at: draft ? null : now,
      author: { login, id: 1, type: 'Bot' },
      assets: [],
    };
    if (!draft) ensureTag(repo, tag, commitish);
    releasesOf(repo).push(release);
    return release;
  }

  function route(method: string, url: URL, body: unknown, res: ServerResponse): [number, unknown] {
    const m = /^\/repos\/([^/]+)\/([^/]+)(\/.*)$/.exec(url.pathname);
    if (!m) throw fail(404, 'Not Found');
    const repo = `${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}`;
    const rest = m[3]!;
    const input = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const list = releasesOf(repo);
    const byId = (id: string) => {
      const r = list.find((x) => x.id === Number(id));
      if (!r) throw fail(404, 'Not Found');
      return r;
    };
    let p: RegExpExecArray | null;

    if (rest === '/releases' && method === 'GET') {
      const perPage = Math.min(Math.max(Number(url.searchParams.get('per_page') ?? 30) || 30, 1), 100);
      const page = Math.max(Number(url.searchParams.get('page') ?? 1) || 1, 1);
      const newest = [...list].reverse();
      const last = Math.max(Math.ceil(newest.length / perPage), 1);
      const link = (n: number, rel: string) => {
        const u = new URL(`${base}${url.pathname}`);
        u.searchParams.set('per_page', String(perPage));
        u.searchParams.set('page', String(n));
        return `<${u}>; rel="${rel}"`;
      };
      const links = [
        ...(page > 1 ? [link(page - 1, 'prev'), link(1, 'first')] : []),
        ...(page < last ? [link(page + 1, 'next'), link(last, 'last')] : []),
      ];
      if (links.length) res.setHeader('link', links.join(', '));
      return [200, newest.slice((page - 1) * perPage, page * perPage)];
    }
    if (rest === '/releases' && method === 'POST') return [201, newRelease(repo, input)];
    if (rest === '/releases/latest' && method === 'GET') {
      const latest = [...list].reverse().find((r) => !r.draft && !r.prerelease);
      if (!latest) throw fail(404, 'Not Found');
      return [200, latest];
    }
    if ((p = /^\/releases\/tags\/(.+)$/.exec(rest)) && method === 'GET') {
      const tag = decodeURIComponent(p[1]!);
      const r = list.find((x) => x.tag_name === tag && !x.draft);
      if (!r) throw fail(404, 'Not Found');
      return [200, r];
    }
    if ((p = /^\/releases\/(\d+)$/.exec(rest))) {
      const r = byId(p[1]!);
      if (method === 'GET') return [200, r];
      if (method === 'DELETE') {
        list.splice(list.indexOf(r), 1);
        return [204, undefined];
      }
      if (method === 'PATCH') {
        if (typeof input.tag_name === 'string' && input.tag_name !== r.tag_name && list.some((x) => x.tag_name === input.tag_name))
          throw validationFailed('Release', 'already_exists', 'tag_name');
        for (const key of ['tag_name', 'target_commitish', 'name', 'body'] as const)
          if (typeof input[key] === 'string') r[key] = input[key] as string;
        for (const key of ['draft', 'prerelease'] as const) if (typeof input[key] === 'boolean') r[key] = input[key] as boolean;
        if (!r.draft && r.published_at === null) {
          r.published_at = new Date().toISOString();
          r.tarball_url = `${base}/repos/${repo}/tarball/${encodeURIComponent(r.tag_name)}`;
          r.zipball_url = `${base}/repos/${repo}/zipball/${encodeURIComponent(r.tag_name)}`;
          ensureTag(repo, r.tag_name, r.target_commitish);
        }
        return [200, r];
      }
    }
    // Octokit sends the ref as one encoded segment (tags%2Fv1.0.0); GitHub takes both forms.
    if ((p = /^\/git\/ref\/(.+)$/.exec(rest)) && method === 'GET') {
      const ref = `refs/${decodeURIComponent(p[1]!)}`;
      const sha = refsOf(repo).get(ref);
      if (!sha) throw fail(404, 'Not Found');
      return [200, gitRef(repo, ref, sha)];
    }
    if (rest === '/git/refs' && method === 'POST') {
      const { ref, sha } = input;
      if (typeof ref !== 'string' || !/^refs\/.+\/.+/.test(ref)) throw fail(422, `${String(ref)} is not a valid ref name.`);
      if (typeof sha !== 'string' || !/^[0-9a-f]{40}$/.test(sha)) throw fail(422, 'Object does not exist');
      if (refsOf(repo).has(ref)) throw fail(422, 'Reference already exists');
      refsOf(repo).set(ref, sha);
      return [201, gitRef(repo, ref, sha)];
    }
    throw fail(404, 'Not Found');
  }

  const gitRef = (repo: string, ref: string, sha: string) => ({
    ref,
    node_id: `REF_double_${ref}`,
    url: `${base}/repos/${repo}/git/${ref}`,
    object: { sha, type: 'commit', url: `${base}/repos/${repo}/git/commits/${sha}` },
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    const auth = /^(?:token|bearer)\s+(.+)$/i.exec(req.headers.authorization ?? '');
    const authorized = auth?.[1] === token;
    const record: RecordedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', body, authorized, status: 0 };
    requests.push(record);

    let status: number;
    let payload: unknown;
    try {
      if (faults.left > 0) {
        faults.left--;
        throw fail(faults.status, reasons[faults.status] ?? 'Injected fault');
      }
      if (!req.headers.authorization) throw fail(401, 'Requires authentication');
      if (!authorized) throw fail(401, 'Bad credentials');
      if (text && (typeof body !== 'object' || body === null)) throw fail(400, 'Problems parsing JSON');
      [status, payload] = route(record.method, new URL(record.path, base), body, res);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      [status, payload] = [err.status, err.body];
    }
    record.status = status;
    res.setHeader('x-github-media-type', 'github.v3; format=json');
    res.setHeader('x-github-request-id', `DOUBLE:${requests.length}`);
    if (payload === undefined) {
      res.writeHead(status).end();
    } else {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(payload));
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ message: `github double bug: ${String(err)}` }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    releases: (repo) => (repo ? [...releasesOf(repo)] : [...byRepo.values()].flat().sort((a, b) => a.id - b.id)),
    tags: (repo) => Object.fromEntries(refsOf(repo)),
    requests,
    failNext: (count, status = 502) => {
      faults = { left: count, status };
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
