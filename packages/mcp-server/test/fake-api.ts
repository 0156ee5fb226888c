// A stand-in for the POD Protocol API on 127.0.0.1:0, with the real routes, tokens and error bodies.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const TOKENS = { full: 'tok-full', readOnly: 'tok-read', limited: 'tok-busy' } as const;

export interface FakeApi {
  url: string;
  requests: { method: string; path: string; authorization?: string; body: string }[];
  close(): Promise<void>;
}

export async function startFakeApi(): Promise<FakeApi> {
  const agents = [{ id: 'agt_1', name: 'scout', description: 'finds things', createdAt: '2026-01-02T03:04:05.000Z' }];
  const requests: FakeApi['requests'] = [];

  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const path = req.url ?? '/';
    requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization, body });
    route(req.method ?? '', path, req.headers.authorization, body, res, agents);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function route(method: string, path: string, auth: string | undefined, body: string, res: ServerResponse, agents: Record<string, unknown>[]): void {
  if (path === '/health') return send(res, 200, { status: 'ok', version: '0.1.0', gitSha: 'abc1234' });
  if (path === '/ready') return send(res, 200, { status: 'ready', database: 'up' });

  const token = auth?.replace(/^Bearer /, '');
  if (!token || !Object.values(TOKENS).includes(token as never)) return send(res, 401, { error: 'unauthorized' });
  if (token === TOKENS.limited) return send(res, 429, { error: 'rate_limited' }, { 'retry-after': '42' });

  if (path === '/v1/agents' && method === 'GET') return send(res, 200, { agents });
  if (path === '/v1/agents' && method === 'POST') {
    if (token !== TOKENS.full) return send(res, 403, { error: 'forbidden', requiredScope: 'agents:write' });
    const input = JSON.parse(body) as { name?: string; description?: string };
    if (!input.name) return send(res, 400, { error: 'validation', message: "body must have required property 'name'" });
    const agent = { id: `agt_${agents.length + 1}`, name: input.name, description: input.description ?? null, createdAt: new Date(0).toISOString() };
    agents.push(agent);
    return send(res, 201, agent);
  }
  const match = /^\/v1\/agents\/([^/]+)$/.exec(path);
  if (match && method === 'GET') {
    const agent = agents.find((a) => a.id === decodeURIComponent(match[1]!));
    return agent ? send(res, 200, agent) : send(res, 404, { error: 'not_found' });
  }
  send(res, 404, { error: 'not_found' });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
