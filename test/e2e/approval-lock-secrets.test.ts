import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.ts';
import { stopPid, waitFor } from '../support/processes.ts';
import { TestDeployment } from '../support/workspace.ts';

const token = 'smoke-token-DO-NOT-PRINT-7f3a9c';

// Production needs an approval before anything runs; one deploy at a time per environment;
// an interrupt leaves no lock and an aborted record; a secret is never printed or stored.
describe('approval, lock, interrupt and secrets', () => {
  let deployment: TestDeployment;
  let apiPort: number;
  let devPort: number;
  const pids: number[] = [];

  beforeAll(async () => {
    apiPort = await freePort();
    devPort = await freePort(); // production's proxy keeps its port
    const services = { 'api-server': { url: `http://127.0.0.1:${apiPort}`, healthPath: '/health' } };
    deployment = new TestDeployment({
      production: { approval: { required: true }, database: { url: 'file:tmp/e2e-production.sqlite' }, services, secrets: ['POD_SMOKE_TOKEN'] },
      // health never answers 200 here: a roll-out that waits, to hold the lock while we poke at it
      development: {
        services: { 'api-server': { url: `http://127.0.0.1:${devPort}`, healthPath: '/never-healthy' } },
        ephemeralSecrets: ['POD_SMOKE_TOKEN'],
      },
    });
  });
  afterAll(async () => {
    for (const pid of pids) await stopPid(pid);
    await deployment?.cleanup();
  });

  const deployProduction = (env: Record<string, string>) =>
    deployment.run(['nx', 'run', 'api-server:deploy:production', '--output-style=static', '--excludeTaskDependencies'], {
      POD_SMOKE_TOKEN: token,
      ...env,
    });

  it('refuses production without approval, before any side effect', async () => {
    const res = await deployProduction({});
    expect(res.exitCode).not.toBe(0);
    expect(res.all).toContain('production requires approval, so nothing was run');
    expect(res.all).toContain('set DEPLOY_APPROVER');
    expect(res.all).not.toMatch(/\n\s+at /); // no stack trace
    expect(deployment.ledger('production')).toEqual([]);
    expect(deployment.servicePid('production', 'api-server')).toBeUndefined();
    expect(existsSync(deployment.lockDir('production'))).toBe(false);
  });

  it('deploys production with an approver and records who approved', async () => {
    const res = await deployProduction({ DEPLOY_APPROVER: 'release-manager' });
    const pid = deployment.servicePid('production', 'api-server');
    if (pid) pids.push(pid);
    expect(res.exitCode, res.all as string).toBe(0);
    const [record] = deployment.ledger('production');
    expect(record).toMatchObject({ status: 'succeeded', approver: 'release-manager', kind: 'deploy' });
    expect(existsSync(deployment.lockDir('production'))).toBe(false);
    // the smoke token was used (authorised call passed) but is nowhere to be seen
    expect(res.all).toContain('ok  authorised call');
    expect(res.all).not.toContain(token);
    expect(deployment.filesContaining(token)).toEqual([]);
    await stopPid(pid);
  });

  it('refuses a second deploy naming the holder, and an interrupt leaves no lock and an aborted record', async () => {
    const first = deployment.run(
      ['nx', 'run', 'api-server:deploy:development', '--output-style=static', '--excludeTaskDependencies'],
      { DEPLOY_ACTOR: 'first-deployer' },
      { detached: true },
    );
    first.catch(() => undefined);
    await waitFor('the first deploy to hold the lock', () => existsSync(`${deployment.lockDir('development')}/holder.json`) || undefined, 60_000);
    await waitFor('the first deploy to start its roll-out', () => deployment.servicePid('development', 'api-server'), 60_000);
    pids.push(deployment.servicePid('development', 'api-server')!);

    const second = await deployment.run(['nx', 'run', 'api-server:smoke:development', '--output-style=static'], { DEPLOY_ACTOR: 'second-deployer' });
    expect(second.exitCode).not.toBe(0);
    expect(second.all).toMatch(/development is locked by first-deployer on .* \(deploy api-server; process \d+\)/);

    process.kill(-first.pid!, 'SIGINT'); // what Ctrl-C sends to the foreground process group
    const res = await first;
    expect(res.exitCode).not.toBe(0);
    // Nx stops relaying task output when interrupted, so the state on disk is the evidence.
    expect(existsSync(deployment.lockDir('development'))).toBe(false);
    const aborted = deployment.ledger('development').find((r) => r.actor === 'first-deployer');
    expect(aborted).toMatchObject({ status: 'aborted', reason: 'interrupted by SIGINT' });
  });
});
