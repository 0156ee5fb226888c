import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PodApiError, PodClient } from '../src/index.js';
import { startFakePodApi, type FakePodApi } from '../../../test/support/fake-pod-api.js';

let api: FakePodApi;

beforeEach(async () => {
  api = await startFakePodApi();
});

afterEach(async () => {
  await api.stop();
});

/** Runs `call` and returns the PodApiError it must reject with. */
async function apiError(call: Promise<unknown>): Promise<PodApiError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PodApiError);
  return error as PodApiError;
}

describe('PodClient against a live HTTP server', () => {
  it('reads health without sending credentials it was not given', async () => {
    const client = new PodClient({ baseUrl: api.url });
    await expect(client.health()).resolves.toEqual({ status: 'ok', version: '0.1.0', gitSha: 'abc1234' });
    expect(api.requests[0]?.headers.authorization).toBeUndefined();
    expect(api.requests[0]?.headers.accept).toBe('application/json');
  });

  it('reports readiness, including 503 as ready: false rather than an error', async () => {
    const client = new PodClient({ baseUrl: api.url });
    await expect(client.ready()).resolves.toEqual({ ready: true, status: 'ready', database: 'up' });
    api.setReady(false);
    await expect(client.ready()).resolves.toEqual({ ready: false, status: 'not_ready', database: 'down' });
  });

  it('creates, lists and gets agents with a bearer token', async () => {
    const client = new PodClient({ baseUrl: api.url, token: 'writer' });
    await expect(client.listAgents()).resolves.toEqual([]);

    const created = await client.createAgent({ name: 'scout', description: 'finds things' });
    expect(created).toEqual({
      id: 'agt_1',
      name: 'scout',
      description: 'finds things',
      createdAt: '2025-01-02T03:04:05.000Z',
    });
    const post = api.requests.find((r) => r.method === 'POST');
    expect(post?.headers.authorization).toBe('Bearer writer');
    expect(post?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(post?.body ?? '')).toEqual({ name: 'scout', description: 'finds things' });

    const bare = await client.createAgent({ name: 'quiet' });
    expect(bare.description).toBeNull();
    expect(JSON.parse(api.requests.at(-1)?.body ?? '')).toEqual({ name: 'quiet' });

    await expect(client.listAgents()).resolves.toEqual([created, bare]);
    await expect(client.getAgent('agt_1')).resolves.toEqual(created);
  });

  it('escapes the agent id into one path segment', async () => {
    const client = new PodClient({ baseUrl: api.url, token: 'reader' });
    const error = await apiError(client.getAgent('../health?x=1'));
    expect(api.requests.at(-1)?.url).toBe('/v1/agents/..%2Fhealth%3Fx%3D1');
    expect(error.status).toBe(404);
    expect(error.code).toBe('not_found');
    expect(error.message).toBe('GET /v1/agents/..%2Fhealth%3Fx%3D1 failed: 404 not_found (no agent with id "../health?x=1")');
  });

  it('explains 401 depending on whether a token was given', async () => {
    const wrong = await apiError(new PodClient({ baseUrl: api.url, token: 'nope' }).listAgents());
    expect(wrong.status).toBe(401);
    expect(wrong.code).toBe('unauthorized');
    expect(wrong.message).toBe('GET /v1/agents failed: 401 unauthorized (check your API token)');

    const missing = await apiError(new PodClient({ baseUrl: api.url, token: '' }).listAgents());
    expect(api.requests.at(-1)?.headers.authorization).toBeUndefined();
    expect(missing.message).toBe('GET /v1/agents failed: 401 unauthorized (no API token was given)');
  });

  it('names the missing scope on 403', async () => {
    const error = await apiError(new PodClient({ baseUrl: api.url, token: 'reader' }).createAgent({ name: 'x' }));
    expect(error.status).toBe(403);
    expect(error.code).toBe('forbidden');
    expect(error.requiredScope).toBe('agents:write');
    expect(error.message).toBe('POST /v1/agents failed: 403 forbidden (the API token lacks the agents:write scope)');
  });

  it('passes on Retry-After for 429', async () => {
    api.limitRate({ max: 0, windowSeconds: 7 });
    const error = await apiError(new PodClient({ baseUrl: api.url, token: 'reader' }).listAgents());
    expect(error.status).toBe(429);
    expect(error.code).toBe('rate_limited');
    expect(error.retryAfterSeconds).toBe(7);
    expect(error.message).toBe('GET /v1/agents failed: 429 rate_limited (rate limited: retry in 7s)');
  });

  it("includes the server's validation message on 400", async () => {
    // Any code and message the server gives are passed on, not only the real API's bad_request.
    api.override('POST /v1/agents', { status: 400, body: { error: 'validation', message: 'name is required' } });
    const error = await apiError(new PodClient({ baseUrl: api.url, token: 'writer' }).createAgent({ name: '' }));
    expect(error.status).toBe(400);
    expect(error.code).toBe('validation');
    expect(error.body).toEqual({ error: 'validation', message: 'name is required' });
    expect(error.message).toBe('POST /v1/agents failed: 400 validation: name is required');
  });

  it("derives a code when the error body is not the API's JSON (a proxy page)", async () => {
    api.override('GET /health', { status: 502, headers: { 'content-type': 'text/html' }, body: '<html>Bad Gateway</html>' });
    const error = await apiError(new PodClient({ baseUrl: api.url }).health());
    expect(error.status).toBe(502);
    expect(error.code).toBe('bad_gateway');
    expect(error.body).toBe('<html>Bad Gateway</html>');
    expect(error.message).toBe('GET /health failed: 502 bad_gateway (server error: check the API server logs)');
  });

  it('rejects a success answer that is not JSON or has the wrong shape', async () => {
    api.override('GET /health', { status: 200, headers: { 'content-type': 'text/html' }, body: '<!doctype html><title>some other site</title>' });
    const notJson = await apiError(new PodClient({ baseUrl: api.url }).health());
    expect(notJson.code).toBe('invalid_response');
    expect(notJson.message).toContain(`is ${api.url} the POD API?`);

    api.override('GET /v1/agents', { status: 200, body: { agents: [{ id: 1 }] } });
    const wrongShape = await apiError(new PodClient({ baseUrl: api.url, token: 'reader' }).listAgents());
    expect(wrongShape.code).toBe('invalid_response');
    expect(wrongShape.message).toContain('agents[0]: expected an agent');
  });

  it('gives up after timeoutMs', async () => {
    // Never answer: the client must abort on its own.
    api.override('GET /health', 'never answer');
    const started = Date.now();
    const error = await apiError(new PodClient({ baseUrl: api.url, timeoutMs: 150 }).health());
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error.status).toBe(0);
    expect(error.code).toBe('timeout');
    expect(error.message).toBe(`GET /health failed: no answer from ${api.url} within 150 ms`);
  });

  it('says which address could not be reached', async () => {
    // A port that was free a moment ago and has nothing listening now.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));

    const error = await apiError(new PodClient({ baseUrl: `http://127.0.0.1:${port}` }).health());
    expect(error.status).toBe(0);
    expect(error.code).toBe('network_error');
    expect(error.message).toBe(
      `GET /health failed: cannot reach http://127.0.0.1:${port} (ECONNREFUSED) (is the API server running at that address?)`,
    );
    expect(error.cause).toBeInstanceOf(Error);
  });
});

describe('PodClient options', () => {
  it('keeps a base path and uses the given fetch', async () => {
    const urls: string[] = [];
    const fakeFetch = async (input: string) => {
      urls.push(input);
      return new Response(JSON.stringify({ status: 'ok', version: '9', gitSha: 'f00' }), { status: 200 });
    };
    const client = new PodClient({ baseUrl: 'https://api.example.test/pod/', fetch: fakeFetch });
    expect(client.baseUrl).toBe('https://api.example.test/pod');
    await expect(client.health()).resolves.toEqual({ status: 'ok', version: '9', gitSha: 'f00' });
    expect(urls).toEqual(['https://api.example.test/pod/health']);
  });

  it('rejects unusable options with a message that says what to pass', () => {
    expect(() => new PodClient({ baseUrl: '127.0.0.1:3000/' })).toThrow(
      /baseUrl "127.0.0.1:3000\/" is not a URL; expected e\.g\. https:\/\/api\.example\.com/,
    );
    expect(() => new PodClient({ baseUrl: 'ftp://example.test' })).toThrow(/must use http or https/);
    expect(() => new PodClient({ baseUrl: 'http://example.test/?q=1' })).toThrow(/must not have a query/);
    expect(() => new PodClient({ baseUrl: 'http://example.test', timeoutMs: 0 })).toThrow(/timeoutMs must be a positive/);
  });

  it('rejects an empty agent id before sending anything', async () => {
    const client = new PodClient({ baseUrl: api.url, token: 'reader' });
    await expect(client.getAgent('')).rejects.toThrow(/id must be a non-empty string/);
    expect(api.requests).toEqual([]);
  });
});
