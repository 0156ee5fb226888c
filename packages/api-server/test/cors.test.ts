import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, tempDir, type RunningServer } from './helpers.js';

const ALLOWED = 'http://127.0.0.1:4200';
const OTHER = 'https://evil.example.test';

function preflight(url: string, origin: string): Promise<Response> {
  return fetch(url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
  });
}

/** A comma-separated header as a list, so the test does not depend on the separator's spacing. */
function list(value: string | null): string[] {
  return (value ?? '').split(',').map((item) => item.trim().toLowerCase());
}

describe('CORS with CORS_ORIGINS set', () => {
  const tmp = tempDir();
  const env = {
    DATABASE_URL: `file:${tmp.dir}/api.sqlite`,
    API_TOKENS: 'reader=agents:read',
    RATE_LIMIT_MAX: '3',
    CORS_ORIGINS: `${ALLOWED},https://console.example.test`,
  };
  let server: RunningServer;

  beforeAll(async () => {
    server = await startServer(env);
  });
  afterAll(async () => {
    await server?.close();
    tmp.cleanup();
  });

  it('allows a listed origin on probes, metrics and a 404, and not another origin', async () => {
    for (const path of ['/health', '/ready', '/metrics', '/nothing-here']) {
      const allowed = await fetch(`${server.url}${path}`, { headers: { origin: ALLOWED } });
      expect(allowed.headers.get('access-control-allow-origin'), path).toBe(ALLOWED);
      expect(list(allowed.headers.get('vary')), path).toContain('origin');

      const other = await fetch(`${server.url}${path}`, { headers: { origin: OTHER } });
      expect(other.status, path).toBe(allowed.status);
      expect(other.headers.get('access-control-allow-origin'), path).toBeNull();
    }
    const second = await fetch(`${server.url}/health`, { headers: { origin: 'https://console.example.test' } });
    expect(second.headers.get('access-control-allow-origin')).toBe('https://console.example.test');
  });

  it('adds the headers to a 401 from /v1/agents, so the page can read why', async () => {
    const allowed = await fetch(`${server.url}/v1/agents`, { headers: { origin: ALLOWED } });
    expect(allowed.status).toBe(401);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(list(allowed.headers.get('vary'))).toContain('origin');
    expect(await allowed.json()).toEqual({ error: 'unauthorized' });

    const other = await fetch(`${server.url}/v1/agents`, { headers: { origin: OTHER } });
    expect(other.status).toBe(401);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers a preflight with 204, without a token and outside the rate limit', async () => {
    // Far more preflights than RATE_LIMIT_MAX: none is limited, none needs a token.
    for (let i = 0; i < 5; i++) {
      const res = await preflight(`${server.url}/v1/agents`, ALLOWED);
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
      expect(list(res.headers.get('access-control-allow-methods'))).toEqual(['get', 'post', 'put', 'patch', 'delete']);
      expect(list(res.headers.get('access-control-allow-headers'))).toEqual(['authorization', 'content-type']);
      expect(res.headers.get('access-control-max-age')).toBe('600');
      expect(await res.text()).toBe('');
    }
    const other = await preflight(`${server.url}/v1/agents`, OTHER);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(other.headers.get('access-control-allow-methods')).toBeNull();
  });

  it('keeps the headers on a 429 past the rate limit', async () => {
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 5; i++) {
      last = await fetch(`${server.url}/v1/agents`, { headers: { origin: ALLOWED } });
      statuses.push(last.status);
    }
    expect(statuses.at(-1)).toBe(429);
    expect(last!.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(list(last!.headers.get('vary'))).toContain('origin');
  });
});

describe('CORS with CORS_ORIGINS empty', () => {
  const tmp = tempDir();
  let server: RunningServer;

  beforeAll(async () => {
    server = await startServer({ DATABASE_URL: `file:${tmp.dir}/api.sqlite`, API_TOKENS: 'reader=agents:read', CORS_ORIGINS: '' });
  });
  afterAll(async () => {
    await server?.close();
    tmp.cleanup();
  });

  it('sends no CORS headers and no preflight answer', async () => {
    for (const path of ['/health', '/v1/agents']) {
      const res = await fetch(`${server.url}${path}`, { headers: { origin: ALLOWED } });
      expect(res.headers.get('access-control-allow-origin'), path).toBeNull();
      expect(res.headers.get('vary'), path).toBeNull();
    }
    const res = await preflight(`${server.url}/v1/agents`, ALLOWED);
    expect(res.status).toBe(404);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-methods')).toBeNull();
  });
});
