import { afterAll, beforeAll, expect, it } from 'vitest';
import { bearer, migrate, startServer, tempDir, type RunningServer } from './helpers.js';

const tmp = tempDir();
const env = {
  DATABASE_URL: `file:${tmp.dir}/api.sqlite`,
  API_TOKENS: 'reader=agents:read',
  RATE_LIMIT_MAX: '3',
  RATE_LIMIT_WINDOW_MS: '60000',
};
let server: RunningServer;

beforeAll(async () => {
  expect((await migrate(['up'], env)).code).toBe(0);
  server = await startServer(env);
});
afterAll(async () => {
  await server?.close();
  tmp.cleanup();
});

it('limits /v1 to RATE_LIMIT_MAX requests per window with 429, leaving probes alone', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) {
    statuses.push((await fetch(`${server.url}/v1/agents`, { headers: bearer('reader') })).status);
  }
  expect(statuses).toEqual([200, 200, 200, 429, 429]);

  const limited = await fetch(`${server.url}/v1/agents`, { headers: bearer('reader') });
  expect(limited.status).toBe(429);
  expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
  expect(await limited.json()).toMatchObject({ error: 'rate_limited' });

  // Unauthenticated floods are limited too: the limiter runs before auth.
  expect((await fetch(`${server.url}/v1/agents`)).status).toBe(429);

  for (let i = 0; i < 5; i++) {
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
  }
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  expect(metrics).toMatch(/^http_requests_total\{method="GET",route="\/v1\/agents",status="429"\} 4$/m);
});

it("counts each client behind a proxy on this host by its forwarded address, not the proxy's", async () => {
  // 127.0.0.1 used up its limit above; a client whose proxy (here, on loopback) forwards its address has its own.
  const as = (client: string) => fetch(`${server.url}/v1/agents`, { headers: bearer('reader', { 'x-forwarded-for': client }) });
  expect((await as('203.0.113.7')).status).toBe(200);
  expect((await as('203.0.113.8')).status).toBe(200);
  // A client cannot escape its limit by claiming another address: only the trusted proxy's last hop counts.
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) statuses.push((await as(`198.51.100.${i}, 203.0.113.9`)).status);
  expect(statuses).toEqual([200, 200, 200]);
  expect((await as('198.51.100.99, 203.0.113.9')).status).toBe(429);
});

it('ignores X-Forwarded-For from a peer TRUST_PROXY does not name', async () => {
  const strict = await startServer({ ...env, TRUST_PROXY: '10.1.2.3' });
  try {
    const as = (client: string) => fetch(`${strict.url}/v1/agents`, { headers: bearer('reader', { 'x-forwarded-for': client }) });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await as(`203.0.113.${i}`)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  } finally {
    await strict.close();
  }
});
