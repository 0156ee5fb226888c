import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { portHolder } from '../src/core/ports.ts';
import { descendsFrom, isAlive } from '../src/core/processes.ts';
import { identityMismatch, localPort, waitHealthy } from '../src/runtimes/health.ts';
import { resolveStored, storableSettings } from '../src/runtimes/settings.ts';

const servers: Server[] = [];
afterEach(() => servers.splice(0).forEach((s) => s.close()));

/** A server on a free loopback port answering every request with `body` (what a stale server does). */
async function serve(status: number, body: unknown): Promise<string> {
  const server = createServer((_req, res) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body)));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
}

describe('health means the new version is healthy', () => {
  it('tells an answer from another version or commit, and trusts one that does not say', () => {
    expect(identityMismatch('{"status":"ok","version":"0.1.0","gitSha":"abc"}', { version: '0.1.0', gitSha: 'abc' })).toBeUndefined();
    expect(identityMismatch('{"status":"ok","version":"0.0.9","gitSha":"def0123456789"}', { version: '0.1.0', gitSha: 'abc' })).toBe(
      'it is answered by version 0.0.9, git sha def012345678, not the 0.1.0 (abc) just started',
    );
    expect(identityMismatch('{"status":"ok","version":"0.1.0"}', { version: '0.1.0', gitSha: 'abc' })).toBeUndefined();
    expect(identityMismatch('ok', { version: '0.1.0' })).toBeUndefined();
    expect(identityMismatch('{"gitSha":"x"}', { gitSha: 'unknown' })).toBeUndefined();
    expect(identityMismatch('{"gitSha":"unknown"}', { gitSha: 'abc' })).toBeUndefined();
  });

  it('passes when the answer is 200 from what was started', async () => {
    const url = await serve(200, { status: 'ok', version: '1.0.0' });
    expect(await waitHealthy({ url, deadlineMs: 2_000, expect: { version: '1.0.0' }, owners: async () => [process.pid] })).toBeUndefined();
  });

  it('fails at once on an answer from another version, naming the holder of the port', async () => {
    const url = await serve(200, { status: 'ok', version: '0.0.9' });
    const started = Date.now();
    const failure = await waitHealthy({ url, deadlineMs: 30_000, expect: { version: '1.0.0' }, owners: async () => [999_999] });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(failure).toContain('it is answered by version 0.0.9');
    expect(failure).toContain(`port ${localPort(url)} is held by pid ${process.pid}`);
  });

  it('fails at once when what was started is gone, naming who holds the port instead', async () => {
    const url = await serve(200, { status: 'ok' });
    const failure = await waitHealthy({ url, deadlineMs: 30_000, gone: async () => 'the process exited', owners: async () => [] });
    expect(failure).toMatch(new RegExp(`^the process exited; port ${localPort(url)} is held by pid ${process.pid} \\(.*node`));
  });

  it('keeps polling a non-200 answer until the deadline, then says what it last saw', async () => {
    const url = await serve(503, { status: 'starting' });
    expect(await waitHealthy({ url, deadlineMs: 600, intervalMs: 100 })).toBe('health answered 503');
  });

  it('finds the process listening on a port, and process ancestry', async () => {
    const url = await serve(200, {});
    expect(portHolder(localPort(url)!)).toMatchObject({ pid: process.pid });
    expect(descendsFrom(process.pid, [process.ppid])).toBe(true);
    expect(descendsFrom(process.ppid, [process.pid])).toBe(false);
    expect(isAlive(process.pid)).toBe(true);
    expect(localPort('https://api.example.com/health')).toBeUndefined();
  });
});

describe('settings a rollback can restart with', () => {
  it('keeps secret values only by reference and resolves them again', () => {
    const templates = { PORT: '3000', API_TOKENS: '${TOKEN}=agents:read', RATE_LIMIT_MAX: '${MAX:-20}', DATABASE_URL: '${DB_URL}' };
    const resolved = { PORT: '3000', API_TOKENS: 'tok-secret=agents:read', RATE_LIMIT_MAX: '500', DATABASE_URL: 'postgres://u:pw@h/db' };
    const stored = storableSettings(templates, resolved, (v) => v.includes('tok-secret') || v.includes('pw@'));
    expect(stored).toEqual({
      PORT: { value: '3000' },
      API_TOKENS: { template: '${TOKEN}=agents:read' },
      RATE_LIMIT_MAX: { value: '500' },
      DATABASE_URL: { template: '${DB_URL}' },
    });
    expect(JSON.stringify(stored)).not.toMatch(/tok-secret|pw@/);
    expect(resolveStored(stored, { TOKEN: 'new-token', DB_URL: 'postgres://u:pw2@h/db', MAX: '1' }, 'rollback')).toEqual({
      PORT: '3000',
      API_TOKENS: 'new-token=agents:read',
      RATE_LIMIT_MAX: '500',
      DATABASE_URL: 'postgres://u:pw2@h/db',
    });
  });
});
