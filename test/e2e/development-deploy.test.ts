import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.ts';
import { isRunning, stopPid } from '../support/processes.ts';
import { TestDeployment, workspaceRoot } from '../support/workspace.ts';

// The development path end to end, as a user runs it: `nx run-many -t deploy -c development`
// migrates SQLite, starts the api-server as a local process, passes its smoke checks and
// records the ledger; a second run applies nothing twice and replaces the running server.
describe('nx run-many -t deploy -c development', () => {
  let deployment: TestDeployment;
  const pids: number[] = [];
  afterAll(async () => {
    for (const pid of pids) await stopPid(pid);
    await deployment?.cleanup();
  });

  it('deploys, then redeploys without applying a migration twice', async () => {
    const [apiPort, mcpPort] = [await freePort(), await freePort()];
    deployment = new TestDeployment({
      development: {
        runtime: 'process',
        services: {
          'api-server': { url: `http://127.0.0.1:${apiPort}`, healthPath: '/health' },
          'mcp-server': { url: `http://127.0.0.1:${mcpPort}`, healthPath: '/health' },
        },
        ephemeralSecrets: ['POD_SMOKE_TOKEN'],
      },
    });
    const first = await deployment.run(['nx', 'run-many', '-t', 'deploy', '-c', 'development', '--output-style=static']);
    const firstPid = deployment.servicePid('development', 'api-server');
    const mcpPid = deployment.servicePid('development', 'mcp-server');
    for (const pid of [firstPid, mcpPid]) if (pid) pids.push(pid);
    expect(first.all).toContain('applied 0001_create_agents.sql');
    expect(first.all).toContain('ok  429 past the rate limit');
    expect(first.all).toMatch(/api-server {2}smoke +succeeded .* http:\/\/127\.0\.0\.1:\d+/);
    expect(first.exitCode, first.all as string).toBe(0);

    expect(first.all).toMatch(/mcp-server {2}smoke +succeeded/);
    const health = await (await fetch(`http://127.0.0.1:${apiPort}/health`)).json();
    expect(health).toMatchObject({ status: 'ok', version: '0.1.0' });
    expect(health.gitSha).toMatch(/^[0-9a-f]{40}$/);

    // The frontend, with no site declared, goes to a local folder served on 127.0.0.1:4200 (the
    // development default), its config.json pointing at this environment's api-server.
    expect(first.all).toMatch(/frontend {2}deploy-cdn +succeeded .* http:\/\/127\.0\.0\.1:4200/);
    expect(first.all).toContain('page rendered in Chromium');
    const page = await fetch('http://127.0.0.1:4200/');
    expect([page.status, page.headers.get('cache-control')]).toEqual([200, 'no-cache']);
    expect(await (await fetch('http://127.0.0.1:4200/config.json')).json()).toEqual({
      apiBaseUrl: `http://127.0.0.1:${apiPort}`,
      environment: 'development',
    });

    const second = await deployment.run(['nx', 'run', 'api-server:deploy:development', '--output-style=static']);
    const secondPid = deployment.servicePid('development', 'api-server');
    if (secondPid) pids.push(secondPid);
    expect(second.exitCode, second.all as string).toBe(0);
    expect(second.all).toContain('no pending migrations');
    expect(second.all).not.toContain('applied 0001');
    expect(secondPid).not.toBe(firstPid);
    expect(isRunning(firstPid!)).toBe(false); // the old server is gone
    expect((await fetch(`http://127.0.0.1:${apiPort}/ready`)).status).toBe(200);

    const records = deployment.ledger('development').filter((r) => r.project === 'api-server');
    expect(records.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    expect(records[0]).toMatchObject({ kind: 'deploy', version: '0.1.0', env: 'development' });
    expect(records[0]!.backupRef).toMatch(/backups\/development\/api-server\/.*\.sqlite$/);
    expect(records[1]!.backupRef).toBeUndefined(); // nothing pending: no backup needed
    expect(records.map((r) => (r.steps as { name: string }[]).map((s) => s.name))).toEqual([
      ['predeploy', 'migrate', 'rollout', 'smoke', 'cutover', 'verify', 'loadtest'],
      ['predeploy', 'migrate', 'rollout', 'smoke', 'cutover', 'verify', 'loadtest'],
    ]);
  });

  it('scripts/health-check.sh passes, then fails at the service that was stopped, naming it', async () => {
    const check = () => execa('scripts/health-check.sh', ['development'], { cwd: workspaceRoot, env: deployment.env(), reject: false, all: true });
    const ok = await check();
    expect(ok.exitCode, ok.all).toBe(0);
    expect(ok.all).toMatch(/ok {3}api-server +http:\/\/127\.0\.0\.1:\d+\/health \(200\)/);
    expect(ok.all).toMatch(/ok {3}frontend +http:\/\/127\.0\.0\.1:4200 \(200 text\/html\)/);
    expect(ok.all).toContain('development: all 3 healthy');
    await stopPid(deployment.servicePid('development', 'mcp-server')!);
    const bad = await check();
    expect(bad.exitCode).toBe(1);
    // Its proxy still answers, for a version that no longer does.
    expect(bad.all).toMatch(/FAIL mcp-server +http:\/\/127\.0\.0\.1:\d+\/health: answered 503, expected 200/);
    expect(bad.all).toContain('mcp-server is not healthy in development; the checks after it were not run');
    expect(bad.all).not.toMatch(/frontend/);
  });
});
