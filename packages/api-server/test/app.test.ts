import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, migrate, startServer, tempDir, type RunningServer } from './helpers.js';

const TOKENS = 'reader=agents:read,writer=agents:read agents:write,other=metrics:read';

describe('api-server on a fresh SQLite database', () => {
  const tmp = tempDir();
  const env = { DATABASE_URL: `file:${tmp.dir}/api.sqlite`, API_TOKENS: TOKENS, APP_VERSION: '9.9.9', GIT_SHA: 'abc1234' };
  let server: RunningServer;

  beforeAll(async () => {
    server = await startServer(env);
  });
  afterAll(async () => {
    await server?.close();
    tmp.cleanup();
  });

  it('GET /health answers without a migrated database', async () => {
    const res = await fetch(`${server.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', version: '9.9.9', gitSha: 'abc1234' });
  });

  it('says on every answer which version gave it (503s and 401s too)', async () => {
    for (const path of ['/health', '/ready', '/v1/agents']) {
      const res = await fetch(`${server.url}${path}`);
      expect([res.headers.get('x-app-version'), res.headers.get('x-app-revision')], path).toEqual(['9.9.9', 'abc1234']);
    }
  });

  it('GET /ready is 503 until migrations ran, then 200', async () => {
    const before = await fetch(`${server.url}/ready`);
    expect(before.status).toBe(503);
    const body = (await before.json()) as Record<string, string>;
    expect(body).toMatchObject({ status: 'not_ready', database: 'down' });
    expect(body.error).toMatch(/agents/);

    const metricsBefore = await (await fetch(`${server.url}/metrics`)).text();
    expect(metricsBefore).toMatch(/^database_up 0$/m);

    const result = await migrate(['up'], env);
    expect(result.code).toBe(0);

    const after = await fetch(`${server.url}/ready`);
    expect(after.status).toBe(200);
    expect(await after.json()).toEqual({ status: 'ready', database: 'up' });
    const metricsAfter = await (await fetch(`${server.url}/metrics`)).text();
    expect(metricsAfter).toMatch(/^database_up 1$/m);
  });

  it('creates, lists and fetches agents', async () => {
    const created = await fetch(`${server.url}/v1/agents`, {
      method: 'POST',
      headers: bearer('writer', { 'content-type': 'application/json' }),
      body: JSON.stringify({ name: 'scout', description: 'finds pods' }),
    });
    expect(created.status).toBe(201);
    const agent = (await created.json()) as Record<string, string>;
    expect(agent).toMatchObject({ name: 'scout', description: 'finds pods' });
    expect(agent.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number.isNaN(Date.parse(agent.createdAt!))).toBe(false);

    const second = await fetch(`${server.url}/v1/agents`, {
      method: 'POST',
      headers: bearer('writer', { 'content-type': 'application/json' }),
      body: JSON.stringify({ name: 'no description' }),
    });
    expect(second.status).toBe(201);
    expect(((await second.json()) as Record<string, unknown>).description).toBeNull();

    const list = await fetch(`${server.url}/v1/agents`, { headers: bearer('reader') });
    expect(list.status).toBe(200);
    const { agents } = (await list.json()) as { agents: Array<Record<string, string>> };
    expect(agents.map((a) => a.name)).toEqual(['scout', 'no description']);

    const limited = await fetch(`${server.url}/v1/agents?limit=1`, { headers: bearer('reader') });
    expect(((await limited.json()) as { agents: unknown[] }).agents).toHaveLength(1);
    expect((await fetch(`${server.url}/v1/agents?limit=0`, { headers: bearer('reader') })).status).toBe(400);

    const one = await fetch(`${server.url}/v1/agents/${agent.id}`, { headers: bearer('reader') });
    expect(one.status).toBe(200);
    expect(await one.json()).toEqual(agent);

    const missing = await fetch(`${server.url}/v1/agents/does-not-exist`, { headers: bearer('reader') });
    expect(missing.status).toBe(404);
  });

  it('rejects invalid bodies with 400 and a message', async () => {
    for (const body of [{}, { name: '' }, { name: 'x'.repeat(101) }, { name: 42 }]) {
      const res = await fetch(`${server.url}/v1/agents`, {
        method: 'POST',
        headers: bearer('writer', { 'content-type': 'application/json' }),
        body: JSON.stringify(body),
      });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { message: string }).message).toMatch(/name/);
    }
  });

  it('answers 401 with WWW-Authenticate for a missing or unknown token', async () => {
    for (const headers of [{}, bearer('wrong'), { authorization: 'Basic cmVhZGVyOg==' }]) {
      const res = await fetch(`${server.url}/v1/agents`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(await res.json()).toEqual({ error: 'unauthorized' });
    }
    // Auth comes before validation: an anonymous caller gets 401, not a schema hint.
    const post = await fetch(`${server.url}/v1/agents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(post.status).toBe(401);
  });

  it('answers 403 naming the scope when the token lacks it', async () => {
    const write = await fetch(`${server.url}/v1/agents`, {
      method: 'POST',
      headers: bearer('reader', { 'content-type': 'application/json' }),
      body: JSON.stringify({ name: 'nope' }),
    });
    expect(write.status).toBe(403);
    expect(await write.json()).toEqual({ error: 'forbidden', requiredScope: 'agents:write' });

    const read = await fetch(`${server.url}/v1/agents/x`, { headers: bearer('other') });
    expect(read.status).toBe(403);
    expect(await read.json()).toEqual({ error: 'forbidden', requiredScope: 'agents:read' });
  });

  it('exposes Prometheus metrics labelled by route pattern', async () => {
    await fetch(`${server.url}/v1/agents/some-id-1`, { headers: bearer('reader') });
    await fetch(`${server.url}/v1/agents/some-id-2`, { headers: bearer('reader') });
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toContain('# TYPE http_requests_total counter');
    expect(text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(text).toContain('# TYPE database_up gauge');
    // Probes and scrapes (the earlier tests called /health, /ready and /metrics) are not counted:
    // they would dilute the error rate.
    expect(text).not.toMatch(/^http_request\w*\{[^}]*route="\/(health|ready|metrics)"/m);
    expect(text).toMatch(/^http_requests_total\{method="POST",route="\/v1\/agents",status="201"\} 2$/m);
    expect(text).toMatch(/^http_requests_total\{method="GET",route="\/v1\/agents\/:id",status="404"\} [3-9]$/m);
    expect(text).toMatch(/^http_request_duration_seconds_count\{method="GET",route="\/v1\/agents",status="401"\} \d+$/m);
    expect(text).not.toContain('some-id-1');
    // Bucket bounds at the runbook's latency thresholds, 1 s and 2 s (and the deploy's 0.5 s, 0.8 s).
    const les = [...text.matchAll(/^http_request_duration_seconds_bucket\{le="([^"]+)",method="GET",route="\/v1\/agents",status="401"\}/gm)].map(
      (m) => m[1],
    );
    expect(les).toEqual(['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '0.8', '1', '2', '5', '10', '+Inf']);
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('answers unknown routes with a JSON 404, counted as route "unmatched"', async () => {
    const res = await fetch(`${server.url}/v2/nothing`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: 'not_found' });
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(/^http_requests_total\{method="GET",route="unmatched",status="404"\} 1$/m);
  });
});
