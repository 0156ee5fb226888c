import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.ts';
import { isRunning, stopPid } from '../support/processes.ts';
import { TestDeployment } from '../support/workspace.ts';

const TOKEN = 'manual-rollback-token-8e1f';

// `nx-deploy rollback <backend>`: after two deploys of the api-server as a local process, the one
// that served before runs again from its release folder, under the lock, recorded in the ledger; a
// second rollback has nothing left to go back to and is refused before anything changes.
describe('nx-deploy rollback of a backend', () => {
  let deployment: TestDeployment;
  let api: string;
  const pids: number[] = [];
  const vars = { POD_SMOKE_TOKEN: TOKEN };
  const pid = () => deployment.servicePid('development', 'api-server')!;
  const deploy = () => deployment.run(['nx', 'run', 'api-server:deploy:development', '--excludeTaskDependencies', '--output-style=static'], vars);
  const rollback = (...args: string[]) => deployment.run(['nx-deploy', 'rollback', ...args, '--env', 'development'], vars);

  beforeAll(async () => {
    api = `http://127.0.0.1:${await freePort()}`;
    deployment = new TestDeployment({
      development: { runtime: 'process', services: { 'api-server': { url: api, healthPath: '/health' } }, ephemeralSecrets: ['POD_SMOKE_TOKEN'] },
    });
    for (let i = 0; i < 2; i++) {
      const res = await deploy();
      expect(res.exitCode, res.all as string).toBe(0);
      pids.push(pid());
    }
  }, 180_000);
  afterAll(async () => {
    for (const p of [...pids, deployment?.servicePid('development', 'api-server')]) await stopPid(p);
    deployment?.cleanup();
  });

  it('starts the version that served before again, healthy, recorded as a rollback', async () => {
    const res = await rollback('api-server');
    expect(res.exitCode, res.all as string).toBe(0);
    expect(res.all).toMatch(/rolling back to 0\.1\.0 \([0-9a-f]{12}\) from .*releases\/development\/api-server\//);
    expect(res.all).toMatch(/rollback api-server 0\.1\.0 to development \([0-9a-f]{8}\): succeeded/);
    const now = pid();
    pids.push(now);
    expect(now).not.toBe(pids[1]);
    expect(isRunning(pids[1]!)).toBe(false);
    expect((await fetch(`${api}/health`)).status).toBe(200);
    expect(deployment.ledger('development').at(-1)).toMatchObject({
      project: 'api-server',
      kind: 'rollback',
      status: 'succeeded',
      artifact: expect.stringMatching(/^0\.1\.0 \([0-9a-f]{12}, pid \d+\)$/),
    });
  });

  it('refuses a second rollback, a --to and an unknown project before anything changes', async () => {
    const serving = pid();
    const records = deployment.ledger('development').length;
    const again = await rollback('api-server');
    expect(again.exitCode).not.toBe(0);
    expect(again.all).toContain('api-server in development cannot be rolled back: no earlier version is kept');
    expect(again.all).toContain('nothing was changed');
    const to = await rollback('api-server', '--to', '0.0.9');
    expect(to.all).toContain('--to picks a CDN release; a backend rolls back to the version that served before');
    const unknown = await rollback('nope');
    expect(unknown.all).toContain('no project nope in this workspace');
    expect(pid()).toBe(serving);
    expect(isRunning(serving)).toBe(true);
    expect(deployment.ledger('development')).toHaveLength(records);
  });
});
