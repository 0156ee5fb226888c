import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A review of a workflow run's environment, as GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals lists it. */
export interface Approval {
  state: 'approved' | 'rejected';
  user: { login: string };
  environments: Array<{ name: string }>;
}

export interface ApprovalsDouble {
  /** What deploy.yml reads as $GITHUB_API_URL. */
  url: string;
  /** The requests it answered: path and whether the bearer token was the expected one. */
  requests: Array<{ path: string; authorized: boolean }>;
  stop(): Promise<void>;
}

/**
 * A DOUBLE of GitHub's REST API, only the endpoint of a workflow run's review history (GitHub's
 * environment approvals exist nowhere else; Gitea has no such thing): answers `approvals` (by run
 * id; an empty history for any other run), 401 without the expected token. On loopback.
 */
export async function startApprovalsDouble(token: string, approvals: Record<string, Approval[]> = {}): Promise<ApprovalsDouble> {
  const requests: ApprovalsDouble['requests'] = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const authorized = req.headers.authorization === `Bearer ${token}`;
    requests.push({ path, authorized });
    const run = /^\/repos\/[^/]+\/[^/]+\/actions\/runs\/(\d+)\/approvals$/.exec(path);
    res.setHeader('content-type', 'application/json');
    if (!authorized) return res.writeHead(401).end(JSON.stringify({ message: 'Bad credentials' }));
    if (req.method !== 'GET' || !run) return res.writeHead(404).end(JSON.stringify({ message: 'Not Found' }));
    res.writeHead(200).end(JSON.stringify(approvals[run[1]!] ?? []));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
