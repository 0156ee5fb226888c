import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Token -> scopes. `limited` always gets 429, to exercise rate limiting. */
export const TOKENS: Record<string, string[]> = {
  reader: ['agents:read'],
  writer: ['agents:read', 'agents:write'],
  limited: ['agents:read', 'agents:write'],
};

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface FakeApi {
  baseUrl: string;
  requests: RecordedRequest[];
  agents: { id: string; name: string; description: string | null; createdAt: string }[];
  setReady(ready: boolean): void;
  /** Replace the handler of one `METHOD /path` (e.g. to answer garbage or hang). */
  override(route: string, handler: (res: ServerResponse) => void): void;
  close(): Promise<void>;
}

/** A real HTTP server on a free loopback port that answers like the POD API server. */
export async function startFakeApi(): Promise<FakeApi> {
  const requests: RecordedRequest[] = [];
  const agents: FakeApi['agents'] = [];
  const overrides = new Map<string, (res: ServerResponse) => void>();
  let ready = true;
  let nextId = 1;

  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });

    const route = `${req.method} ${req.url}`;
    const override = overrides.get(route);
    if (override) return override(res);

    if (route === 'GET /health') return send(res, 200, { status: 'ok', version: '0.1.0', gitSha: 'abc1234' });
    if (route === 'GET /ready') {
      return ready
        ? send(res, 200, { status: 'ready', database: 'up' })
        : send(res, 503, { status: 'not_ready', database: 'down' });
    }

    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!url.pathname.startsWith('/v1/agents')) return send(res, 404, { error: 'not_found' });

    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const scopes = token === undefined ? undefined : TOKENS[token];
    if (scopes === undefined) return send(res, 401, { error: 'unauthorized' });
    if (token === 'limited') {
      res.setHeader('retry-after', '7');
      return send(res, 429, { error: 'rate_limited' });
    }
    const needed = req.method === 'POST' ? 'agents:write' : 'agents:read';
    if (!scopes.includes(needed)) return send(res, 403, { error: 'forbidden', requiredScope: needed });

    if (req.method === 'GET' && url.pathname === '/v1/agents') return send(res, 200, { agents });
    if (req.method === 'POST' && url.pathname === '/v1/agents') {
      let input: { name?: unknown; description?: unknown };
      try {
        input = JSON.parse(body) as typeof input;
      } catch {
        return send(res, 400, { error: 'validation', message: 'body must be JSON' });
      }
      if (typeof input.name !== 'string' || input.name === '') {
        return send(res, 400, { error: 'validation', message: 'name is required' });
      }
      const agent = {
        id: `agt_${nextId++}`,
        name: input.name,
        description: typeof input.description === 'string' ? input.description : null,
        createdAt: '2025-01-02T03:04:05.000Z',
      };
      agents.push(agent);
      return send(res, 201, agent);
    }
    const id = decodeURIComponent(url.pathname.slice('/v1/agents/'.length));
    const agent = agents.find((a) => a.id === id);
    return agent ? send(res, 200, agent) : send(res, 404, { error: 'not_found' });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    agents,
    setReady: (value) => {
      ready = value;
    },
    override: (route, handler) => overrides.set(route, handler),
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
