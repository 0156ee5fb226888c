import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneWorkspace, type Clone } from '../support/clone.ts';
import { freePort } from '../support/ports.ts';
import { stopPid } from '../support/processes.ts';
import { TestDeployment } from '../support/workspace.ts';

// The runbook's load test before production: a staging deploy of the api-server (a local process
// here) ends with autocannon driving its /health for 3 s, latencies recorded in an HDR histogram;
// p95, p99, error rate and throughput land in the ledger. Production requires a passing load test
// of the same commit on staging: refused before anything changes without one, deployed with one.
// A later commit whose staging load test misses the budget is rolled back there, and production
// refuses it. Deploys run in a clone of the workspace (the later commit is made there).
describe('load test before production', () => {
  let deployment: TestDeployment;
  let clone: Clone;
  const pids: (number | undefined)[] = [];
  const vars = { POD_SMOKE_TOKEN: 'loadtest-smoke-token-7a1d' };
  const BUDGET = { p95Ms: 500, maxErrorRate: 0.01, minRps: 20 };
  const urls: Record<string, string> = {};
  let environments: (budget: typeof BUDGET) => Record<string, unknown>;
  const deploy = (env: string) =>
    clone.run('npx', ['nx', 'run', `api-server:deploy:${env}`, '--excludeTaskDependencies', '--output-style=static'], deployment.env(vars));
  /** Which commit serves in an environment, asked of the service itself. */
  const serving = async (env: string) => ((await (await fetch(`${urls[env]}/health`)).json()) as { gitSha: string }).gitSha;

  beforeAll(async () => {
    clone = await cloneWorkspace();
    const [staging, production] = [await freePort(), await freePort()];
    urls.staging = `http://127.0.0.1:${staging}`;
    urls.production = `http://127.0.0.1:${production}`;
    const service = (url: string) => ({ 'api-server': { url, healthPath: '/health' } });
    environments = (budget) => ({
      staging: {
        runtime: 'process',
        services: service(urls.staging!),
        secrets: ['POD_SMOKE_TOKEN'],
        loadtest: { path: '/health', duration: '3s', connections: 4, budget },
      },
      production: {
        runtime: 'process',
        services: service(urls.production!),
        secrets: ['POD_SMOKE_TOKEN'],
        loadtest: { require: { environment: 'staging', maxAge: '1h' } },
      },
    });
    deployment = new TestDeployment(environments(BUDGET));
  }, 120_000);
  afterAll(async () => {
    for (const env of ['staging', 'production']) pids.push(deployment?.servicePid(env, 'api-server'));
    for (const pid of pids) if (pid) await stopPid(pid);
    await deployment?.cleanup();
    await clone?.remove();
  });

  it('refuses production before anything changes while no load test of the commit passed on staging', async () => {
    const res = await deploy('production');
    expect(res.exitCode).not.toBe(0);
    expect(res.all).toMatch(
      /production needs a passing load test of api-server at this commit \([0-9a-f]{12}\) on staging within 1h, and no load test of it is recorded there; nothing was changed/,
    );
    expect(deployment.ledger('production')).toEqual([]);
    expect(deployment.servicePid('production', 'api-server')).toBeUndefined();
  });

  it('records p95, p99, error rate and throughput of the staging load test in the ledger', async () => {
    const res = await deploy('staging');
    expect(res.exitCode, res.all as string).toBe(0);
    expect(res.all).toMatch(/load test: GET http:\/\/127\.0\.0\.1:\d+\/health for 3 s over 4 connections/);
    expect(res.all).toMatch(/load test: \d+ requests in [\d.]+ s: \d+ req\/s, p50 [\d.]+ ms, p95 [\d.]+ ms, p99 [\d.]+ ms, errors 0\.00%/);
    const record = deployment.ledger('staging').at(-1)!;
    expect(record).toMatchObject({ status: 'succeeded', loadtest: { passed: true, connections: 4, errorRate: 0 } });
    const l = record.loadtest as Record<string, number>;
    expect(l.requests).toBeGreaterThan(60);
    expect(l.rps).toBeGreaterThanOrEqual(20);
    expect(l.p50Ms).toBeLessThanOrEqual(l.p95Ms);
    expect(l.p95Ms).toBeLessThanOrEqual(l.p99Ms);
    expect(l.p99Ms).toBeLessThanOrEqual(l.maxMs);
  });

  it('deploys production once that commit passed on staging, saying which load test it relied on', async () => {
    const res = await deploy('production');
    expect(res.exitCode, res.all as string).toBe(0);
    expect(res.all).toMatch(/load test of this commit passed on staging \(\S+, \S+\): \d+ requests/);
    expect(res.all).toMatch(/loadtest +skipped/);
    expect(deployment.ledger('production').at(-1)).toMatchObject({ status: 'succeeded' });
  });

  it('a later commit whose staging load test misses its budget is rolled back there, and production refuses it', async () => {
    const passed = (await clone.git('rev-parse', 'HEAD')).trim();
    appendFileSync(join(clone.dir, 'packages', 'api-server', 'src', 'main.ts'), '\n// a change whose load test fails\n');
    await clone.commit('a release that misses the load budget');
    const missedCommit = (await clone.git('rev-parse', 'HEAD')).trim();
    deployment.write(environments({ ...BUDGET, minRps: 10_000_000 }));
    try {
      const missed = await deploy('staging');
      expect(missed.exitCode, missed.all as string).not.toBe(0);
      expect(missed.all).toMatch(/api-server: the load test missed its budget: \d+ requests\/s is under 10000000/);
      expect(deployment.ledger('staging').at(-1)).toMatchObject({
        gitSha: missedCommit,
        status: 'rolled_back',
        loadtest: { passed: false },
        rollback: { outcome: 'restored' },
      });
      // Asked of the service: the commit that passed serves staging again.
      expect(await serving('staging')).toBe(passed);

      const refused = await deploy('production');
      expect(refused.exitCode).not.toBe(0);
      expect(refused.all).toMatch(
        new RegExp(
          `production needs a passing load test of api-server at this commit \\(${missedCommit.slice(0, 12)}\\) on staging within 1h, and its load tests there did not pass; nothing was changed`,
        ),
      );
      expect(await serving('production')).toBe(passed);
    } finally {
      deployment.write(environments(BUDGET));
    }
  });
});
