// The MCP server over Streamable HTTP, driven by the SDK's real client, against a fake POD API.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { PodApiClient } from '../src/api-client.js';
import { startHttpServer, type RunningServer } from '../src/http-server.js';
import { startFakePodApi, type FakePodApi } from '../../../test/support/fake-pod-api.js';

let api: FakePodApi;
const servers: RunningServer[] = [];
const clients: Client[] = [];

beforeAll(async () => {
  api = await startFakePodApi();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close(1000)));
});
afterAll(async () => {
  await api.stop();
});

/** `null` = no POD_API_TOKEN at all. */
async function serve(token: string | null, apiUrl = api.url) {
  const server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    api: new PodApiClient(apiUrl, token ?? undefined),
    allowedHosts: ['127.0.0.1', 'localhost'],
  });
  servers.push(server);
  return server;
}

async function connect(token: string | null = 'writer', apiUrl?: string) {
  const server = await serve(token, apiUrl);
  const client = new Client({ name: 'vitest', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`)));
  clients.push(client);
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}) {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  const first = result.content[0];
  const text = first?.type === 'text' ? first.text : '';
  return { isError: result.isError === true, text };
}

describe('MCP over Streamable HTTP', () => {
  it('lists the four tools with their input schemas', async () => {
    const client = await connect();
    expect(client.getServerVersion()).toMatchObject({ name: 'pod-protocol-mcp-server', version: '0.1.0' });
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['api_health', 'create_agent', 'get_agent', 'list_agents']);
    const create = tools.find((t) => t.name === 'create_agent')!;
    expect(create.inputSchema.required).toEqual(['name']);
    expect(Object.keys(create.inputSchema.properties ?? {}).sort()).toEqual(['description', 'name']);
    expect(tools.find((t) => t.name === 'get_agent')!.inputSchema.required).toEqual(['id']);
    expect(tools.find((t) => t.name === 'list_agents')!.annotations?.readOnlyHint).toBe(true);
  });

  it('api_health reports health and readiness', async () => {
    const client = await connect();
    const result = await call(client, 'api_health');
    expect(result.isError).toBe(false);
    expect(JSON.parse(result.text)).toEqual({
      health: { status: 'ok', version: '0.1.0', gitSha: 'abc1234' },
      readiness: { ready: true, status: 'ready', database: 'up' },
    });
  });

  it('create_agent, list_agents and get_agent go through the API with the token', async () => {
    const client = await connect('writer');
    const created = await call(client, 'create_agent', { name: 'builder', description: 'builds things' });
    expect(created.isError).toBe(false);
    const agent = JSON.parse(created.text) as { id: string; name: string };
    expect(agent).toMatchObject({ name: 'builder', description: 'builds things' });

    const post = api.requests.findLast((r) => r.method === 'POST')!;
    expect(post.headers.authorization).toBe('Bearer writer');
    expect(JSON.parse(post.body)).toEqual({ name: 'builder', description: 'builds things' });

    const listed = await call(client, 'list_agents');
    expect((JSON.parse(listed.text) as { agents: { id: string }[] }).agents.map((a) => a.id)).toContain(agent.id);

    const fetched = await call(client, 'get_agent', { id: agent.id });
    expect(JSON.parse(fetched.text)).toEqual(JSON.parse(created.text));
  });

  it('turns API refusals into isError results a person can act on', async () => {
    const noToken = await connect(null);
    const unauthorized = await call(noToken, 'list_agents');
    expect(unauthorized).toEqual({ isError: true, text: expect.stringContaining('401') });
    expect(unauthorized.text).toContain('Set POD_API_TOKEN');

    const badToken = await connect('wrong');
    expect((await call(badToken, 'list_agents')).text).toMatch(/rejected the token \(401 unauthorized\).*POD_API_TOKEN/);

    const readOnly = await connect('reader');
    const forbidden = await call(readOnly, 'create_agent', { name: 'x' });
    expect(forbidden).toEqual({ isError: true, text: expect.stringContaining('403 forbidden): it needs agents:write') });

    const busy = await connect('reader');
    api.limitRate({ max: 0, windowSeconds: 42 });
    const limited = await call(busy, 'list_agents');
    api.limitRate(undefined);
    expect(limited.text).toContain('rate limiting this server (429) on GET /v1/agents; retry after 42 s');

    const full = await connect('writer');
    expect(await call(full, 'get_agent', { id: 'agt_nope' })).toEqual({
      isError: true,
      text: 'No agent with id "agt_nope". Use list_agents to see the existing ids.',
    });
  });

  it('rejects invalid tool input before calling the API', async () => {
    const client = await connect();
    const before = api.requests.length;
    const result = await call(client, 'create_agent', { name: '' });
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/name/);
    expect(api.requests.length).toBe(before);
  });

  it('reports an unreachable API with the URL to check', async () => {
    const dead = await startFakePodApi();
    await dead.stop();
    const client = await connect('writer', dead.url);
    const result = await call(client, 'api_health');
    expect(result.isError).toBe(true);
    expect(result.text).toContain(`Could not reach the POD API at ${dead.url}/health`);
    expect(result.text).toContain('ECONNREFUSED');
  });
});

describe('plain HTTP routes', () => {
  it('GET /health answers for probes', async () => {
    const server = await serve(null);
    const response = await fetch(`${server.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', version: '0.1.0', gitSha: process.env.GIT_SHA?.trim() || 'unknown' });
  });

  it('refuses GET /mcp (stateless), unknown paths and foreign Host headers', async () => {
    const server = await serve(null);
    expect((await fetch(`${server.url}/mcp`)).status).toBe(405);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);

    // fetch() will not let us forge Host, so speak HTTP/1.1 directly.
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${server.url}/mcp`, { method: 'POST', headers: { host: 'evil.example', 'content-type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end('{}');
    });
    expect(status).toBe(403);
  });
});
