import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Faults } from '../src/faults.js';
import { bearer, migrate, startServer, tempDir, type RunningServer } from './helpers.js';

const TOKENS = 'reader=agents:read';
const FAULT_TOKEN = 'fault-token-for-tests-01';
/** Fault injection as a test deploy turns it on: allowed in APP_ENV test, its routes behind FAULT_TOKEN. */
const FAULTS_ON = { FAULT_INJECTION: 'enabled', APP_ENV: 'test', FAULT_TOKEN };
const faultAuth = { authorization: `Bearer ${FAULT_TOKEN}` };

/** A migrated SQLite database and a server on it, with these extra settings. */
async function migratedServer(extra: Record<string, string>) {
  const tmp = tempDir();
  const env = { DATABASE_URL: `file:${tmp.dir}/api.sqlite`, API_TOKENS: TOKENS, ...extra };
  expect((await migrate(['up'], env)).code).toBe(0);
  const server = await startServer(env);
  return {
    server,
    close: async () => {
      await server.close();
      tmp.cleanup();
    },
  };
}

async function metrics(server: RunningServer): Promise<string> {
  return (await fetch(`${server.url}/metrics`)).text();
}

/** The value of one sample line of the scrape, e.g. `http_requests_total{...} 3`; undefined if absent. */
function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

function postFaults(server: RunningServer, body: unknown): Promise<Response> {
  return fetch(`${server.url}/_faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...faultAuth },
    body: JSON.stringify(body),
  });
}

describe('Faults.nextFails', () => {
  it.each([
    [0.25, 4],
    [0.1, 10],
    [0.5, 2],
    [1, 1],
  ])('rate %d fails exactly 1 request in every %d, the last of each group', (rate, every) => {
    const faults = new Faults({ errorRate: rate, latencyMs: 0, dbDown: false });
    const fails = Array.from({ length: every * 5 }, () => faults.nextFails());
    expect(fails.filter(Boolean)).toHaveLength(5);
    fails.forEach((fail, i) => expect(fail, `request ${i + 1}`).toBe((i + 1) % every === 0));
  });

  it('spreads other rates exactly, despite binary rounding, and restarts when the rate is set', () => {
    const faults = new Faults({ errorRate: 0.57, latencyMs: 0, dbDown: false });
    const fails = Array.from({ length: 100 }, () => faults.nextFails());
    expect(fails.filter(Boolean)).toHaveLength(57);
    expect(fails[99]).toBe(true); // 100 * 0.57 is 56.99999999999999 in binary floating point
    expect(Array.from({ length: 3 }, () => faults.nextFails())).toEqual([false, true, false]);
    faults.update({ errorRate: 0.25 });
    expect(Array.from({ length: 4 }, () => faults.nextFails())).toEqual([false, false, false, true]);
    faults.update({ errorRate: 0 });
    expect(Array.from({ length: 50 }, () => faults.nextFails()).some(Boolean)).toBe(false);
  });
});

describe('fault injection off (FAULT_INJECTION unset)', () => {
  let ctx: Awaited<ReturnType<typeof migratedServer>>;
  beforeAll(async () => {
    ctx = await migratedServer({});
  });
  afterAll(() => ctx?.close());

  it('has no /_faults route: 404 like any unknown route', async () => {
    const get = await fetch(`${ctx.server.url}/_faults`, { headers: faultAuth });
    expect(get.status).toBe(404);
    expect(await get.json()).toEqual({ error: 'not_found', message: 'no route GET /_faults' });
    const post = await postFaults(ctx.server, { errorRate: 1 });
    expect(post.status).toBe(404);
    expect((await fetch(`${ctx.server.url}/v1/agents`, { headers: bearer('reader') })).status).toBe(200);
  });
});

describe('FAULT_ERROR_RATE=0.25', () => {
  let ctx: Awaited<ReturnType<typeof migratedServer>>;
  beforeAll(async () => {
    ctx = await migratedServer({ ...FAULTS_ON, FAULT_ERROR_RATE: '0.25' });
  });
  afterAll(() => ctx?.close());

  it('answers exactly 1 in 4 /v1 requests 500, counted as 5xx in the metrics', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`${ctx.server.url}/v1/agents`, { headers: bearer('reader') });
      statuses.push(res.status);
      if (res.status === 500) expect(await res.json()).toEqual({ error: 'internal_error', message: 'injected fault' });
    }
    expect(statuses).toEqual([200, 200, 200, 500, 200, 200, 200, 500, 200, 200, 200, 500]);

    // Probes are neither faulted nor counted.
    expect((await fetch(`${ctx.server.url}/health`)).status).toBe(200);
    expect((await fetch(`${ctx.server.url}/ready`)).status).toBe(200);

    const text = await metrics(ctx.server);
    expect(sample(text, 'http_requests_total', 'method="GET",route="/v1/agents",status="500"')).toBe(3);
    expect(sample(text, 'http_requests_total', 'method="GET",route="/v1/agents",status="200"')).toBe(9);
    expect(sample(text, 'http_request_duration_seconds_count', 'method="GET",route="/v1/agents",status="500"')).toBe(3);
    expect(text).not.toMatch(/^http_request\w*\{[^}]*route="\/(health|ready|metrics|_faults)"/m);
  });
});

describe('FAULT_DB_DOWN=true', () => {
  let ctx: Awaited<ReturnType<typeof migratedServer>>;
  beforeAll(async () => {
    ctx = await migratedServer({ ...FAULTS_ON, FAULT_DB_DOWN: 'true' });
  });
  afterAll(() => ctx?.close());

  it('makes /ready 503 with database "down" and /v1 fail as in a real outage, until turned off', async () => {
    const ready = await fetch(`${ctx.server.url}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'not_ready', database: 'down', error: 'database unreachable (injected fault: dbDown)' });
    expect((await fetch(`${ctx.server.url}/health`)).status).toBe(200);
    const v1 = await fetch(`${ctx.server.url}/v1/agents`, { headers: bearer('reader') });
    expect(v1.status).toBe(500);
    expect(await v1.json()).toEqual({ error: 'internal_error', message: 'internal server error' });
    let text = await metrics(ctx.server);
    expect(text).toMatch(/^database_up 0$/m);
    expect(sample(text, 'http_requests_total', 'method="GET",route="/v1/agents",status="500"')).toBe(1);

    expect(await (await postFaults(ctx.server, { dbDown: false })).json()).toEqual({ errorRate: 0, latencyMs: 0, dbDown: false });
    expect(await (await fetch(`${ctx.server.url}/ready`)).json()).toEqual({ status: 'ready', database: 'up' });
    expect((await fetch(`${ctx.server.url}/v1/agents`, { headers: bearer('reader') })).status).toBe(200);
    text = await metrics(ctx.server);
    expect(text).toMatch(/^database_up 1$/m);
  });
});

describe('/_faults at run time', () => {
  let ctx: Awaited<ReturnType<typeof migratedServer>>;
  beforeAll(async () => {
    // A rate limit of 5 per window: /_faults must not be limited.
    ctx = await migratedServer({ ...FAULTS_ON, RATE_LIMIT_MAX: '5' });
  });
  afterEach(async () => {
    await postFaults(ctx.server, { errorRate: 0, latencyMs: 0, dbDown: false });
  });
  afterAll(() => ctx?.close());

  it('GET answers the current settings, POST changes the given ones and answers all', async () => {
    const initial = await fetch(`${ctx.server.url}/_faults`, { headers: faultAuth });
    expect(initial.status).toBe(200);
    expect(await initial.json()).toEqual({ errorRate: 0, latencyMs: 0, dbDown: false });

    const changed = await postFaults(ctx.server, { errorRate: 1 });
    expect(changed.status).toBe(200);
    expect(await changed.json()).toEqual({ errorRate: 1, latencyMs: 0, dbDown: false });
    expect(await (await postFaults(ctx.server, { dbDown: true, latencyMs: 5 })).json()).toEqual({ errorRate: 1, latencyMs: 5, dbDown: true });
    expect(await (await postFaults(ctx.server, {})).json()).toEqual({ errorRate: 1, latencyMs: 5, dbDown: true });
    expect(await (await fetch(`${ctx.server.url}/_faults`, { headers: faultAuth })).json()).toEqual({ errorRate: 1, latencyMs: 5, dbDown: true });

    for (let i = 0; i < 10; i++) expect((await fetch(`${ctx.server.url}/_faults`, { headers: faultAuth })).status).toBe(200);
  });

  it('an error rate set at run time applies to the next /v1 requests', async () => {
    expect((await postFaults(ctx.server, { errorRate: 0.5 })).status).toBe(200);
    const statuses = [];
    for (let i = 0; i < 2; i++) statuses.push((await fetch(`${ctx.server.url}/v1/agents/x`, { headers: bearer('reader') })).status);
    expect(statuses).toEqual([404, 500]);
  });

  it.each([
    [{ errorRate: 1.5 }, /errorRate must be <= 1/],
    [{ errorRate: -0.1 }, /errorRate must be >= 0/],
    [{ errorRate: '0.5' }, /errorRate must be number/],
    [{ latencyMs: 12.5 }, /latencyMs must be integer/],
    [{ latencyMs: 600_001 }, /latencyMs must be <= 600000/],
    [{ dbDown: 'true' }, /dbDown must be boolean/],
    [{ errorrate: 0.5 }, /^body\/errorrate is not a fault \(expected errorRate, latencyMs, dbDown\)$/],
    [[], /body must be object/],
  ])('rejects %j with 400 and leaves the settings alone', async (body, message) => {
    const res = await postFaults(ctx.server, body);
    expect(res.status).toBe(400);
    const json = (await res.json()) as { error: string; message: string };
    expect(json.error).toBe('bad_request');
    expect(json.message).toMatch(message);
    expect(await (await fetch(`${ctx.server.url}/_faults`, { headers: faultAuth })).json()).toEqual({ errorRate: 0, latencyMs: 0, dbDown: false });
  });

  it('rejects a POST without a JSON body with 400', async () => {
    const res = await fetch(`${ctx.server.url}/_faults`, { method: 'POST', headers: { 'content-type': 'application/json', ...faultAuth } });
    expect(res.status).toBe(400);
  });

  it('answers 401 to a GET or POST without FAULT_TOKEN (or with another token), changing nothing', async () => {
    const json = { 'content-type': 'application/json' };
    const tries: Record<string, string>[] = [{}, { authorization: 'Bearer reader' }, { authorization: `Bearer ${FAULT_TOKEN}x` }];
    for (const headers of tries) {
      expect((await fetch(`${ctx.server.url}/_faults`, { headers })).status).toBe(401);
      const post = await fetch(`${ctx.server.url}/_faults`, {
        method: 'POST',
        headers: { ...json, ...headers },
        body: JSON.stringify({ errorRate: 1 }),
      });
      expect(post.status).toBe(401);
      expect(await post.json()).toEqual({ error: 'unauthorized' });
    }
    expect(await (await fetch(`${ctx.server.url}/_faults`, { headers: faultAuth })).json()).toEqual({ errorRate: 0, latencyMs: 0, dbDown: false });
  });

  it('adds latency to /v1 and /health, shown in the duration histogram; not to /metrics or /ready', async () => {
    expect((await postFaults(ctx.server, { latencyMs: 50 })).status).toBe(200);
    const started = performance.now();
    expect((await fetch(`${ctx.server.url}/health`)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);

    const unauthorised = 'method="GET",route="/v1/agents/:id",status="401"';
    const before = await metrics(ctx.server);
    expect(sample(before, 'http_request_duration_seconds_count', unauthorised)).toBeUndefined();
    for (let i = 0; i < 2; i++) expect((await fetch(`${ctx.server.url}/v1/agents/x`)).status).toBe(401);

    const text = await metrics(ctx.server);
    expect(sample(text, 'http_request_duration_seconds_count', unauthorised)).toBe(2);
    expect(sample(text, 'http_request_duration_seconds_sum', unauthorised)).toBeGreaterThanOrEqual(2 * 0.049);
    expect(sample(text, 'http_request_duration_seconds_bucket', `le="0.025",${unauthorised}`)).toBe(0);
    expect(sample(text, 'http_request_duration_seconds_bucket', `le="10",${unauthorised}`)).toBe(2);
    expect(sample(text, 'http_request_duration_seconds_bucket', `le="+Inf",${unauthorised}`)).toBe(2);

    // A delay far above any scrape or readiness time on a loaded machine: neither waits for it.
    expect((await postFaults(ctx.server, { latencyMs: 5000 })).status).toBe(200);
    const unDelayedStarted = performance.now();
    expect((await fetch(`${ctx.server.url}/metrics`)).status).toBe(200);
    expect((await fetch(`${ctx.server.url}/ready`)).status).toBe(200);
    expect(performance.now() - unDelayedStarted).toBeLessThan(4000);
  });
});
