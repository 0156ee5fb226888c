import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneWorkspace, type Clone } from '../support/clone.ts';
import { freePort } from '../support/ports.ts';

// `nx-deploy affected` in a real git repository (a clone of the workspace): each project's base is
// the commit of its last successful deploy to the environment, read from the state store, and
// only what changed since then deploys — never a guess such as HEAD~1.
describe('nx-deploy affected', () => {
  let clone: Clone;
  const env = { NX_DEPLOY_FILE: 'deploy.test.json' };

  beforeAll(async () => {
    clone = await cloneWorkspace();
    const [api, mcp, web] = [await freePort(), await freePort(), await freePort()];
    const development = {
      runtime: 'process',
      services: {
        'api-server': { url: `http://127.0.0.1:${api}`, healthPath: '/health' },
        'mcp-server': { url: `http://127.0.0.1:${mcp}`, healthPath: '/health' },
      },
      cdn: { frontend: { provider: 'fs', url: `http://127.0.0.1:${web}` } },
      ephemeralSecrets: ['POD_SMOKE_TOKEN'],
    };
    writeFileSync(join(clone.dir, 'deploy.test.json'), JSON.stringify({ environments: { development } }, null, 2));
  }, 120_000);
  afterAll(async () => {
    await clone?.remove();
  });

  const affected = () => clone.run('npx', ['nx-deploy', 'affected', '--env', 'development'], env);
  const ledger = () =>
    readFileSync(join(clone.dir, '.nx-deploy', 'ledger', 'development.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .filter((r) => r.status !== 'started');
  const head = async () => (await clone.git('rev-parse', 'HEAD')).trim();
  const row = (out: string, project: string) => out.split('\n').find((l) => l.startsWith(`${project} `)) ?? '';

  it('deploys every project never deployed here, saying so', async () => {
    const res = await affected();
    expect(res.exitCode, res.all as string).toBe(0);
    for (const project of ['api-server', 'mcp-server', 'frontend', 'sdk-typescript', 'cli']) {
      expect(row(res.stdout, project)).toMatch(/none\s+yes: never deployed to development/);
    }
    const deployed = ledger().map((r) => r.project);
    expect(deployed).toEqual(expect.arrayContaining(['api-server', 'mcp-server', 'frontend', 'sdk-typescript', 'cli']));
    expect(ledger().every((r) => r.status === 'succeeded')).toBe(true);
  });

  /** The commit the first test deployed everything at: api-server's last good deploy until the last test. */
  let firstDeployed = '';

  it('deploys only the frontend when only the frontend changed, from the recorded base', async () => {
    const base = await head();
    firstDeployed = base;
    appendFileSync(join(clone.dir, 'packages', 'frontend', 'src', 'main.ts'), '\n// a frontend change\n');
    await clone.commit('frontend: a change');
    const before = ledger().length;
    const res = await affected();
    expect(res.exitCode, res.all as string).toBe(0);
    expect(row(res.stdout, 'frontend')).toMatch(new RegExp(`${base.slice(0, 12)} \\(.*\\)\\s+yes: changed since ${base.slice(0, 8)}`));
    expect(row(res.stdout, 'api-server')).toMatch(new RegExp(`${base.slice(0, 12)} .*no: unchanged since ${base.slice(0, 8)}`));
    expect(
      ledger()
        .slice(before)
        .map((r) => r.project),
    ).toEqual(['frontend']);
    expect(res.all).not.toMatch(/nx run api-server:deploy/);
  });

  it('deploys a changed api-server before the changed frontend, each from its own base', async () => {
    const frontendBase = await head();
    appendFileSync(join(clone.dir, 'packages', 'api-server', 'src', 'main.ts'), '\n// an api change\n');
    appendFileSync(join(clone.dir, 'packages', 'frontend', 'src', 'main.ts'), '\n// another frontend change\n');
    await clone.commit('api-server and frontend: changes');
    const before = ledger().length;
    const res = await affected();
    expect(res.exitCode, res.all as string).toBe(0);
    expect(row(res.stdout, 'frontend')).toMatch(new RegExp(`^frontend\\s+${frontendBase.slice(0, 12)} `));
    // Each from its own last good deploy: api-server's is still the first one, the frontend's the one before.
    expect(frontendBase).not.toBe(firstDeployed);
    expect(row(res.stdout, 'api-server')).toMatch(
      new RegExp(`^api-server\\s+${firstDeployed.slice(0, 12)} \\(.*\\)\\s+yes: changed since ${firstDeployed.slice(0, 8)}`),
    );
    expect(row(res.stdout, 'mcp-server')).toMatch(
      new RegExp(`^mcp-server\\s+${firstDeployed.slice(0, 12)} .*no: unchanged since ${firstDeployed.slice(0, 8)}`),
    );
    const order = ledger().slice(before);
    expect(order.map((r) => r.project)).toEqual(['api-server', 'frontend']);
    expect(order[1].startedAt >= order[0].finishedAt).toBe(true);
  });
});
