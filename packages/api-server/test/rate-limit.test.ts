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
