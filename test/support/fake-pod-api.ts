import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Agent } from '../../packages/api-server/src/agents-store.js';

export type { Agent };

/**
 * A TEST DOUBLE of the POD API (packages/api-server), not the product: an in-memory HTTP server on
 * a free 127.0.0.1 port for the tests of its clients (the SDK, the CLI, the MCP server). Routes,
 * status codes, bodies and the order of checks follow the real app (src/app.ts, auth.ts,
 * routes/): rate limit, then JSON parsing, then bearer auth (401 with WWW-Authenticate: Bearer,
 * 403 naming requiredScope), then body validation (400 bad_request with Ajv's message).
 *
 *   GET  /health          {status: 'ok', version: '0.1.0', gitSha: 'abc1234'}
 *   GET  /ready           200 {status: 'ready', database: 'up'}, or 503 after setReady(false)
 *   GET  /v1/agents       agents:read; ?limit=1..1000 (default 100)
 *   POST /v1/agents       agents:write; {name (1..100 chars), description? (..2000)}, 201 the agent
 *   GET  /v1/agents/:id   agents:read; 404 not_found when absent
 *
 * Tokens, as if API_TOKENS were "reader=agents:read,writer=agents:read agents:write".
 *
 * Where it deliberately differs from the real server:
 * - agent ids are agt_1, agt_2... and createdAt is always 2025-01-02T03:04:05.000Z (no UUIDs, no clock);
 * - no rate limit until limitRate(), which never resets by itself, answers a fixed Retry-After
 *   and sends no X-RateLimit-* headers;
 * - no /metrics, no HEAD, no 415 for other content types (a non-JSON body is just not an object);
 * - override() replaces a route's answer, as a proxy or a broken deployment would.
 */
export interface RecordedRequest {
  method: string;
  /** Path with query string, as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A string body is sent as is (give its content-type), anything else as JSON. */
export type OverrideAnswer = { status: number; body: unknown; headers?: Record<string, string> } | 'never answer';

export interface FakePodApi {
  /** Base URL, e.g. http://127.0.0.1:PORT (no trailing slash). */
  url: string;
  /** Every request received, in order, including refused and overridden ones. */
  requests: RecordedRequest[];
  /** Adds agents as if created earlier (e.g. with awkward names). */
  seed(...agents: Agent[]): void;
  /** false: /ready answers 503 as the real server does before its migrations ran. */
  setReady(ready: boolean): void;
  /**
   * From now on `max` more /v1 requests pass (whatever their token, as the limiter runs first) and
   * later ones get 429 rate_limited with Retry-After: windowSeconds; undefined lifts the limit.
   */
  limitRate(limit: { max: number; windowSeconds: number } | undefined): void;
  /** Answers `METHOD /path` (query ignored) with `answer` instead of the API's, until stop(). */
  override(route: string, answer: OverrideAnswer): void;
  stop(): Promise<void>;
}

const TOKENS: Record<string, readonly string[]> = { reader: ['agents:read'], writer: ['agents:read', 'agents:write'] };
const CREATED_AT = '2025-01-02T03:04:05.000Z';
const JSON_TYPE = 'application/json; charset=utf-8';
const LIMIT = /^(?:[1-9][0-9]{0,2}|1000)$/;

/** An answer other than the route's success, thrown from the checks and sent by the server. */
class Refusal {
  readonly status: number;
  readonly body: object;
  readonly headers: Record<string, string>;
  constructor(status: number, body: object, headers: Record<string, string> = {}) {
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}
const badRequest = (message: string) => new Refusal(400, { error: 'bad_request', message });

export async function startFakePodApi(): Promise<FakePodApi> {
  const requests: RecordedRequest[] = [];
  const agents: Agent[] = [];
  const overrides = new Map<string, OverrideAnswer>();
  let ready = true;
  let rate: { left: number; windowSeconds: number } | undefined;
  let nextId = 1;

  function rateLimit(): void {
    if (!rate) return;
    if (rate.left > 0) {
      rate.left -= 1;
      return;
    }
    const after = rate.windowSeconds;
    const [count, unit] = after < 60 ? [after, 'second'] : [Math.round(after / 60), 'minute'];
    const message = `Rate limit exceeded, retry in ${count} ${unit}${count === 1 ? '' : 's'}`;
    throw new Refusal(429, { error: 'rate_limited', message }, { 'retry-after': String(after) });
  }

  function requireScope(headers: IncomingHttpHeaders, scope: string): void {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '')?.[1];
    const scopes = token === undefined ? undefined : TOKENS[token];
    if (!scopes) throw new Refusal(401, { error: 'unauthorized' }, { 'www-authenticate': 'Bearer' });
    if (!scopes.includes(scope)) throw new Refusal(403, { error: 'forbidden', requiredScope: scope });
  }

  /** Fastify's JSON parser, which runs before auth: a broken body is a 400 even for anonymous callers. */
  function parseBody(req: IncomingMessage, body: string): unknown {
    if (!/^application\/json/i.test(req.headers['content-type'] ?? '')) return body === '' ? undefined : body;
    if (body === '') throw badRequest("Body cannot be empty when content-type is set to 'application/json'");
    try {
      return JSON.parse(body) as unknown;
    } catch {
      throw badRequest("Body is not valid JSON but content-type is set to 'application/json'");
    }
  }

  /** The route's JSON schema, first failure only, with Ajv's wording; unknown properties are dropped. */
  function newAgent(input: unknown): Agent {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw badRequest('body must be object');
    const { name, description } = input as Record<string, unknown>;
    if (name === undefined) throw badRequest("body must have required property 'name'");
    for (const [field, value, min, max] of [
      ['name', name, 1, 100],
      ['description', description, 0, 2000],
    ] as const) {
      if (value === undefined) continue;
      if (typeof value !== 'string') throw badRequest(`body/${field} must be string`);
      const length = [...value].length;
      if (length < min) throw badRequest(`body/${field} must NOT have fewer than ${min} characters`);
      if (length > max) throw badRequest(`body/${field} must NOT have more than ${max} characters`);
    }
    let id = `agt_${nextId++}`;
    while (agents.some((a) => a.id === id)) id = `agt_${nextId++}`;
    return { id, name: name as string, description: (description as string | undefined) ?? null, createdAt: CREATED_AT };
  }

  function answer(req: IncomingMessage, body: string): { status: number; body: object } {
    const { pathname, searchParams } = new URL(req.url ?? '/', 'http://fake');
    const route = `${req.method} ${pathname}`;
    if (route === 'GET /health') return { status: 200, body: { status: 'ok', version: '0.1.0', gitSha: 'abc1234' } };
    if (route === 'GET /ready') {
      return ready
        ? { status: 200, body: { status: 'ready', database: 'up' } }
        : { status: 503, body: { status: 'not_ready', database: 'down', error: 'no such table: agents' } };
    }
    const byId = /^GET \/v1\/agents\/([^/]*)$/.exec(route);
    if (route !== 'GET /v1/agents' && route !== 'POST /v1/agents' && !byId) {
      throw new Refusal(404, { error: 'not_found', message: `no route ${route}` });
    }
    rateLimit();
    if (req.method === 'POST') {
      const input = parseBody(req, body);
      requireScope(req.headers, 'agents:write');
      const agent = newAgent(input);
      agents.push(agent);
      return { status: 201, body: agent };
    }
    requireScope(req.headers, 'agents:read');
    if (byId) {
      const id = decodeURIComponent(byId[1]!);
      const agent = agents.find((a) => a.id === id);
      if (!agent) throw new Refusal(404, { error: 'not_found', message: `agent ${id} not found` });
      return { status: 200, body: agent };
    }
    const limit = searchParams.get('limit') ?? '100';
    if (!LIMIT.test(limit)) throw badRequest(`querystring/limit must match pattern "${LIMIT.source}"`);
    // Stable sort: ties keep creation order (the real server breaks them by its random ids).
    const sorted = [...agents].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    return { status: 200, body: { agents: sorted.slice(0, Number(limit)) } };
  }

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });

    const override = overrides.get(`${req.method} ${new URL(req.url ?? '/', 'http://fake').pathname}`);
    if (override === 'never answer') return;
    if (override) return send(res, override.status, override.body, override.headers);
    try {
      const ok = answer(req, body);
      send(res, ok.status, ok.body);
    } catch (error) {
      if (error instanceof Refusal) send(res, error.status, error.body, error.headers);
      else send(res, 500, { error: 'fake_pod_api_bug', message: String(error) });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    seed: (...more) => void agents.push(...more),
    setReady: (value) => {
      ready = value;
    },
    limitRate: (limit) => {
      rate = limit && { left: limit.max, windowSeconds: limit.windowSeconds };
    },
    override: (route, answer) => void overrides.set(route, answer),
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, typeof body === 'string' ? headers : { 'content-type': JSON_TYPE, ...headers });
  res.end(text);
}
