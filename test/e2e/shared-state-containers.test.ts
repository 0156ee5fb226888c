import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redactor } from '../../tools/deploy-plugin/src/core/redact.ts';
import { openStateConfig } from '../../tools/deploy-plugin/src/store/open.ts';
import type { StateStore } from '../../tools/deploy-plugin/src/store/state-store.ts';
import { cloneWorkspace, type Clone } from '../support/clone.ts';
import { startContainerInfra, type ContainerInfra } from '../support/container-fixture.ts';
import { freePort } from '../support/ports.ts';
import { startVersitygw, type S3Server } from '../support/s3-servers.ts';

// Staging deployed from one runner, production from another, their only link the state store (a
// bucket of versitygw, a real S3 server): production promotes the digest staging recorded, without
// a build, and a failed production deploy from runner B rolls back to the container runner A
// deployed before. The MCP server runs as a container (podman) of images in a local registry.
describe('promotion and rollback across runners (s3 store, containers)', () => {
  let s3: S3Server;
  let infra: ContainerInfra;
  let a: Clone;
  let b: Clone;
  let store: StateStore;
  let ports: { staging: number; production: number };

  const config = (productionHealthPath: string) => ({
    state: s3.state('deploys'),
    environments: {
      staging: {
        runtime: 'container',
        containers: { registry: infra.registry.host, engine: 'podman' },
        services: { 'mcp-server': { url: `http://127.0.0.1:${ports.staging}`, healthPath: '/health' } },
      },
      production: {
        runtime: 'container',
        containers: { registry: infra.registry.host, engine: 'podman', promoteFrom: 'staging' },
        services: { 'mcp-server': { url: `http://127.0.0.1:${ports.production}`, healthPath: productionHealthPath } },
      },
    },
  });

  beforeAll(async () => {
    [s3, infra, a, b] = await Promise.all([startVersitygw(), startContainerInfra('shared-containers'), cloneWorkspace(), cloneWorkspace()]);
    s3.bucket('deploys');
    ports = { staging: await freePort(), production: await freePort() };
    for (const clone of [a, b]) {
      writeFileSync(join(clone.dir, 'deploy.test.json'), JSON.stringify(config('/health'), null, 2));
      const pkg = JSON.parse(readFileSync(join(clone.dir, 'packages/mcp-server/package.json'), 'utf8'));
      pkg.nx.targets.rollout.options.startTimeoutMs = 8_000;
      writeFileSync(join(clone.dir, 'packages/mcp-server/package.json'), JSON.stringify(pkg, null, 2));
      await clone.commit('the test runners: an 8 s health deadline');
    }
    store = await openStateConfig(s3.state('deploys') as never, join(a.dir, '.nx-deploy'), { environ: s3.env, redactor: new Redactor() });
  }, 300_000);
  afterAll(async () => {
    await a?.remove();
    await b?.remove();
    await s3?.stop();
    await infra?.stop();
  }, 120_000);

  const deploy = (clone: Clone, actor: string, env: string) =>
    clone.run('npx', ['nx', 'run', `mcp-server:deploy:${env}`, '--output-style=static', '--excludeTaskDependencies'], {
      ...infra.vars,
      ...s3.env,
      NX_DEPLOY_FILE: 'deploy.test.json',
      DEPLOY_ACTOR: actor,
    });
  const last = async (env: string) => (await store.ledger.read(env)).records.at(-1)!;
  const history = (clone: Clone, env: string) =>
    clone.run('npx', ['nx-deploy', 'history', '--env', env], { ...s3.env, NX_DEPLOY_FILE: 'deploy.test.json' }).then((r) => r.stdout);
  const serving = async () => JSON.parse((await store.blobs.get('services/production/mcp-server.container.json'))!).current;

  it('promotes in runner B the digest runner A pushed for staging, without a build; both runners see both', async () => {
    const staged = await deploy(a, 'runner-a', 'staging');
    expect(staged.exitCode, staged.all as string).toBe(0);
    const image = (await last('staging')).image!;
    expect(image).toMatch(new RegExp(`^${infra.registry.host}/mcp-server@sha256:`));

    const promoted = await deploy(b, 'runner-b', 'production');
    expect(promoted.exitCode, promoted.all as string).toBe(0);
    expect(promoted.all).toContain(`promoting ${image} (passed staging); not rebuilding`);
    expect(promoted.all).not.toMatch(/podman build/);
    expect(await last('production')).toMatchObject({ actor: 'runner-b', status: 'succeeded', image });

    expect(await history(a, 'production')).toMatch(/mcp-server\s+deploy\s+0\.1\.0\s+\w+\s+succeeded\s+runner-b/);
    expect(await history(b, 'staging')).toMatch(/mcp-server\s+deploy\s+0\.1\.0\s+\w+\s+succeeded\s+runner-a/);
  });

  it('rolls a failed production deploy from runner B back to the container runner A deployed before', async () => {
    const fromA = await deploy(a, 'runner-a', 'production');
    expect(fromA.exitCode, fromA.all as string).toBe(0);
    const aContainer = await serving();
    // Runner B's next release never answers its health check.
    writeFileSync(join(b.dir, 'deploy.test.json'), JSON.stringify(config('/never-healthy'), null, 2));
    const failed = await deploy(b, 'runner-b', 'production');
    expect(failed.exitCode).not.toBe(0);
    expect(await last('production')).toMatchObject({
      actor: 'runner-b',
      status: 'rolled_back',
      rollback: { outcome: 'restored', serving: `0.1.0 (${aContainer.image})` },
    });
    expect(await serving()).toEqual(aContainer);
    expect(await infra.podman('ps', '--format', '{{.Names}}')).toContain(aContainer.name);
    expect((await fetch(`http://127.0.0.1:${ports.production}/health`)).status).toBe(200);
  });
});
