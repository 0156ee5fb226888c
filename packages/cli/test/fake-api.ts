import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Token -> scopes accepted by the fake server. */
const TOKENS: Record<string, string[]> = {
  reader: ['agents:read'],
  writer: ['agents:read', 'agents:write'],
};

export interface FakeApi {
  baseUrl: string;
  requests: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[];
  setReady(ready: boolean): void;
  /** Adds an agent as if created earlier (lets tests plant awkward names). */
  seed(agent: { id: string; name: string; description: string | null; createdAt: string }): void;
  close(): Promise<void>;
}

/** A real HTTP server on a free loopback port answering like the POD API server. */
export async function startFakeApi(): Promise<FakeApi> {
  const requests: FakeApi['requests'] = [];
  const agents: Parameters<FakeApi['seed']>[0][] = [];
  let ready = true;

  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;

    if (req.method === 'GET' && path === '/health') return send(res, 200, { status: 'ok', version: '0.1.0', gitSha: 'abc1234' });
    if (req.method === 'GET' && path === '/ready') {
      return ready ? send(res, 200, { status: 'ready', database: 'up' }) : send(res, 503, { status: 'not_ready', database: 'down' });
    }
    if (!path.startsWith('/v1/agents')) return send(res, 404, { error: 'not_found' });

    const scopes = TOKENS[/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? ''];
    if (!scopes) return send(res, 401, { error: 'unauthorized' });
    const needed = req.method === 'POST' ? 'agents:write' : 'agents:read';
    if (!scopes.includes(needed)) return send(res, 403, { error: 'forbidden', requiredScope: needed });

    if (req.method === 'GET' && path === '/v1/agents') return send(res, 200, { agents });
    if (req.method === 'POST' && path === '/v1/agents') {
      const input = JSON.parse(body) as { name: string; description?: string };
      const agent = {
        id: `agt_${agents.length + 1}`,
        name: input.name,
        description: input.description ?? null,
        createdAt: '2025-01-02T03:04:05.000Z',
      };
      agents.push(agent);
      return send(res, 201, agent);
    }
    const agent = agents.find((a) => a.id === decodeURIComponent(path.slice('/v1/agents/'.length)));
    return agent ? send(res, 200, agent) : send(res, 404, { error: 'not_found' });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    setReady: (value) => {
      ready = value;
    },
    seed: (agent) => agents.push(agent),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
