import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startContainerInfra, type ContainerInfra } from '../support/container-fixture.ts';
import { registryManifest, startRegistry, type Registry } from '../support/containers.ts';
import { freePort } from '../support/ports.ts';
import { startPostgres, type Postgres } from '../support/postgres.ts';
import { TestDeployment } from '../support/workspace.ts';

const SMOKE_TOKEN = 'staging-smoke-token-not-for-eyes-5a1f';
const REGISTRY_PASSWORD = 'registry-password-right-9d2e';

// The runbook's staging rehearsal on this machine, end to end: images for both backends built
// with podman and pushed to Debian's docker-registry, PostgreSQL migrated behind a recorded
// backup, the api-server container running the pushed digest and passing smoke, the frontend's
// deploy only after both backends. Then bad releases rolled back, a roll-out run on its own,
// production promoted by digest without a rebuild, and registries that refuse or are down.
describe('staging rehearsal with containers', () => {
  let infra: ContainerInfra;
  let authRegistry: Registry;
  let pg: Postgres;
  let deployment: TestDeployment;
  let ports: Record<string, number>;
  let vars: Record<string, string>;

  beforeAll(async () => {
    infra = await startContainerInfra('rehearsal');
    [pg, authRegistry] = await Promise.all([
      startPostgres(),
      startRegistry(join(infra.dir, 'auth-registry'), { auth: { user: 'deployer', password: REGISTRY_PASSWORD } }),
    ]);
    pg.psql('CREATE DATABASE pod_production');
    ports = {
      staging: await freePort(),
      mcpStaging: await freePort(),
      production: await freePort(),
      mcpProduction: await freePort(),
      mcpAuth: await freePort(),
      web: await freePort(),
    };
    const containers = { registry: infra.registry.host, engine: 'podman' };
    deployment = new TestDeployment({
      staging: {
        runtime: 'container',
        containers,
        database: { urlVariable: 'STAGING_DATABASE_URL' },
        services: {
          'api-server': { url: `http://127.0.0.1:${ports.staging}`, healthPath: '/health' },
          'mcp-server': { url: `http://127.0.0.1:${ports.mcpStaging}`, healthPath: '/health' },
        },
        cdn: { frontend: { provider: 'fs', url: `http://127.0.0.1:${ports.web}` } },
        secrets: ['POD_SMOKE_TOKEN'],
      },
      production: {
        runtime: 'container',
        containers: { ...containers, promoteFrom: 'staging' },
        database: { urlVariable: 'PRODUCTION_DATABASE_URL' },
        services: {
          'api-server': { url: `http://127.0.0.1:${ports.production}`, healthPath: '/health' },
          'mcp-server': { url: `http://127.0.0.1:${ports.mcpProduction}`, healthPath: '/health' },
        },
        secrets: ['POD_SMOKE_TOKEN'],
      },
      'staging-auth': {
        runtime: 'container',
        containers: { registry: authRegistry.host, engine: 'podman', usernameVariable: 'REGISTRY_USER', passwordVariable: 'REGISTRY_PASSWORD' },
        services: { 'mcp-server': { url: `http://127.0.0.1:${ports.mcpAuth}`, healthPath: '/health' } },
      },
    });
    vars = {
      ...infra.vars,
      STAGING_DATABASE_URL: pg.url,
      PRODUCTION_DATABASE_URL: pg.url.replace(/\/pod$/, '/pod_production'),
      POD_SMOKE_TOKEN: SMOKE_TOKEN,
    };
  }, 300_000);
  afterAll(async () => {
    await authRegistry?.stop();
    pg?.stop();
    await deployment?.cleanup();
    await infra?.stop();
  }, 120_000);

  const record = (envName: string, project: string) =>
    deployment
      .ledger(envName)
      .filter((r) => r.project === project)
      .at(-1)!;
  const lastGood = (envName: string, project: string) =>
    deployment
      .ledger(envName)
      .filter((r) => r.project === project && r.status === 'succeeded')
      .at(-1)!;
  const deploy = (target: string, extra: Record<string, string> = {}) =>
    deployment.run(['nx', 'run', target, '--output-style=static', '--excludeTaskDependencies'], { ...vars, ...extra });

  it('builds, pushes, migrates, rolls out and smoke-tests both backends, then the frontend', async () => {
    const res = await deployment.run(
      ['nx', 'run-many', '-t', 'deploy', '-c', 'staging', '-p', 'api-server', 'mcp-server', 'frontend', '--output-style=static'],
      vars,
    );
    expect(res.exitCode, res.all as string).toBe(0);
    const api = record('staging', 'api-server');
    expect(api).toMatchObject({ status: 'succeeded', kind: 'deploy' });
    const pushed = await registryManifest(infra.registry, 'api-server', '0.1.0');
    expect(api.image).toBe(`${infra.registry.host}/api-server@${pushed!.digest}`);
    expect(api.backupRef).toMatch(/backups\/staging\/api-server\/.*\.dump$/);
    expect(pg.psql('SELECT count(*) FROM schema_migrations')).toBe('2');
    expect(record('staging', 'mcp-server').image).toMatch(new RegExp(`^${infra.registry.host}/mcp-server@sha256:`));

    expect(await infra.podman('ps', '--format', '{{.Image}} {{.Names}}')).toContain('api-server-staging-');
    const health = await (await fetch(`http://127.0.0.1:${ports.staging}/health`)).json();
    expect(health.gitSha).toBe(api.gitSha);

    // frontend's deploy task started only after both backend deploys finished
    const out = res.all as string;
    expect(out.indexOf('> nx run frontend:deploy:staging')).toBeGreaterThan(out.lastIndexOf('deploy api-server 0.1.0 to staging'));
    expect(out.indexOf('> nx run frontend:deploy:staging')).toBeGreaterThan(out.lastIndexOf('deploy mcp-server 0.1.0 to staging'));
    // its page, from its site, calls the api-server container from another origin (CORS) and renders
    expect(record('staging', 'frontend')).toMatchObject({ status: 'succeeded', artifact: expect.stringMatching(/^[0-9a-f]{12}$/) });
    expect(out).toContain('page rendered in Chromium');
    expect(out).not.toContain(SMOKE_TOKEN);
  });

  it('rolls a release that fails smoke back to the previous container, healthy, and the ledger names what serves', async () => {
    const good = lastGood('staging', 'api-server');
    // A release whose rate limit is too generous: healthy, but the 429 smoke check fails.
    const res = await deploy('api-server:deploy:staging', { POD_RATE_LIMIT_MAX: '100000' });
    expect(res.exitCode).not.toBe(0);
    expect(res.all).toMatch(/429 past the rate limit: expected status 429, got 200/);
    // Behind the proxy the previous container ran on, warm: the rollback is a switch back to it.
    expect(res.all).toMatch(/rolled back: 0\.1\.0 \(.*\) serves again \(switched back to the warm previous version in [\d.]+ s\)/);
    const bad = record('staging', 'api-server');
    expect(bad).toMatchObject({ status: 'rolled_back', rollback: { outcome: 'restored', serving: `0.1.0 (${good.image})` } });
    console.log(
      `failure detected -> previous version serving: ${/switched back to the warm previous version in ([\d.]+) s/.exec(res.all as string)![1]} s`,
    );
    expect((await fetch(`http://127.0.0.1:${ports.staging}/ready`)).status).toBe(200);
    // As a client other than the smoke test, which used up its own rate limit on this version when it
    // was deployed (the proxy forwards each client's address, and the API counts by it).
    const agents = await fetch(`http://127.0.0.1:${ports.staging}/v1/agents`, {
      headers: { authorization: `Bearer ${SMOKE_TOKEN}`, 'x-forwarded-for': '203.0.113.50' },
    });
    expect(agents.status).toBe(200);
    const history = await deployment.run(['nx-deploy', 'history', '--env', 'staging', '--project', 'api-server']);
    expect(history.stdout).toMatch(/rolled_back \(restored\)/);
  });

  it('rolls back a deliberately broken image (no node in it) to the previous container', async () => {
    const good = lastGood('staging', 'api-server');
    const broken = join(infra.dir, 'broken-base');
    mkdirSync(broken, { recursive: true });
    writeFileSync(
      join(broken, 'Containerfile'),
      'FROM localhost/pod-node-base:22\nRUN rm /usr/local/bin/node && ln -s /bin/false /usr/local/bin/node\n',
    );
    await infra.podman('build', '--pull=never', '-t', 'localhost/pod-broken-base:22', broken);
    const started = Date.now();
    const res = await deploy('api-server:deploy:staging', { POD_BASE_IMAGE: 'localhost/pod-broken-base:22' });
    expect(res.exitCode).not.toBe(0);
    // The container's exit is noticed at once, not at the health deadline.
    expect(res.all).toMatch(/the new version did not become healthy on its private port \d+ \(the container is (exited|stopped)\)/);
    expect(res.all).toContain(`rolled back: 0.1.0 (${good.image}) serves again (it never stopped serving: the new version got no request)`);
    expect(Date.now() - started).toBeLessThan(60_000);
    const bad = record('staging', 'api-server');
    expect(bad.status).toBe('rolled_back');
    expect(bad.image).not.toBe(good.image);
    expect(await infra.podman('ps', '--format', '{{.Image}}')).toContain(String(good.image));
    expect((await fetch(`http://127.0.0.1:${ports.staging}/ready`)).status).toBe(200);
  });

  it('runs a roll-out on its own with the last image recorded good for this commit', async () => {
    const good = lastGood('staging', 'api-server');
    const res = await deploy('api-server:rollout:staging');
    expect(res.exitCode, res.all as string).toBe(0);
    expect(res.all).toContain(`rolling out ${good.image}, recorded good in staging for this commit`);
    expect(record('staging', 'api-server')).toMatchObject({ kind: 'rollout', status: 'succeeded', image: good.image });
    // On its own, the roll-out is followed by the cut-over: the version it started serves.
    expect(res.all).toMatch(/\[api-server\] ▶ cutover \(staging\)/);
    expect((await fetch(`http://127.0.0.1:${ports.staging}/ready`)).status).toBe(200);
  });

  it('promotes the staging digest to production without rebuilding', async () => {
    const staged = lastGood('staging', 'api-server');
    const res = await deploy('api-server:deploy:production');
    expect(res.exitCode, res.all as string).toBe(0);
    expect(res.all).toContain(`promoting ${staged.image} (passed staging); not rebuilding`);
    expect(res.all).not.toMatch(/podman build/);
    expect(record('production', 'api-server').image).toBe(staged.image);
    expect((await registryManifest(infra.registry, 'api-server', 'production'))!.digest).toBe(String(staged.image).split('@')[1]);
  });

  it('names the registry that refuses the credentials, and switches nothing', async () => {
    const containers = async () => [
      await infra.podman('ps', '--all', '--format', '{{.ID}} {{.Names}}'),
      await infra.podman('ps', '--format', '{{.ID}}'),
    ];
    const before = await containers();
    const res = await deploy('mcp-server:deploy:staging-auth', { REGISTRY_USER: 'deployer', REGISTRY_PASSWORD: 'wrong-password-4c1a' });
    expect(res.exitCode).not.toBe(0);
    expect(res.all).toContain(`container registry ${authRegistry.host} refused the login of deployer`);
    expect(res.all).not.toContain('wrong-password-4c1a');
    expect(await containers()).toEqual(before); // the same containers, the same ones running
    expect(record('staging-auth', 'mcp-server')).toMatchObject({ status: 'failed' });
    expect(record('staging-auth', 'mcp-server').rollback).toBeUndefined();
  });

  it('names the registry and switches nothing when the registry is down', async () => {
    const before = await infra.podman('ps', '--format', '{{.Names}}');
    await infra.registry.stop();
    const res = await deploy('mcp-server:deploy:staging');
    expect(res.exitCode).not.toBe(0);
    expect(res.all).toContain(`pushing to the container registry ${infra.registry.host} failed; nothing was rolled out`);
    expect(await infra.podman('ps', '--format', '{{.Names}}')).toBe(before);
  });
});
