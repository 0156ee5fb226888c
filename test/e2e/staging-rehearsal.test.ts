import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBaseImage, containerEnv, registryManifest, removeContainerDir, removeContainers, startRegistry, type ContainerEnv, type Registry } from '../support/containers.ts';
import { freePort } from '../support/ports.ts';
import { startPostgres, type Postgres } from '../support/postgres.ts';
import { TestDeployment } from '../support/workspace.ts';

const SMOKE_TOKEN = 'staging-smoke-token-not-for-eyes-5a1f';

// The runbook's staging rehearsal on this machine, end to end: images for both backends built
// with podman and pushed to Debian's docker-registry, PostgreSQL migrated behind a recorded
// backup, the api-server container running the pushed digest and passing smoke, the frontend's
// deploy only after both backends. Then a bad release rolled back, and production promoted by
// digest without a rebuild.
describe('staging rehearsal with containers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pod-rehearsal-'));
  let env: ContainerEnv;
  let registry: Registry;
  let pg: Postgres;
  let deployment: TestDeployment;
  let ports: Record<string, number>;
  let vars: Record<string, string>;

  beforeAll(async () => {
    registry = await startRegistry(join(dir, 'registry'));
    env = containerEnv(join(dir, 'containers'), { insecureRegistries: [registry.host] });
    [pg] = await Promise.all([startPostgres(), buildBaseImage(env)]);
    pg.psql('CREATE DATABASE pod_production');
    ports = { staging: await freePort(), mcpStaging: await freePort(), production: await freePort(), mcpProduction: await freePort() };
    const containers = { registry: registry.host, engine: 'podman' };
    deployment = new TestDeployment({
      staging: {
        runtime: 'container',
        containers,
        database: { urlVariable: 'STAGING_DATABASE_URL' },
        services: { 'api-server': { url: `http://127.0.0.1:${ports.staging}` }, 'mcp-server': { url: `http://127.0.0.1:${ports.mcpStaging}` } },
        secrets: ['POD_SMOKE_TOKEN'],
      },
      production: {
        runtime: 'container',
        containers: { ...containers, promoteFrom: 'staging' },
        database: { urlVariable: 'PRODUCTION_DATABASE_URL' },
        services: { 'api-server': { url: `http://127.0.0.1:${ports.production}` }, 'mcp-server': { url: `http://127.0.0.1:${ports.mcpProduction}` } },
        secrets: ['POD_SMOKE_TOKEN'],
      },
    });
    vars = {
      ...env,
      POD_BASE_IMAGE: 'localhost/pod-node-base:22',
      STAGING_DATABASE_URL: pg.url,
      PRODUCTION_DATABASE_URL: pg.url.replace(/\/pod$/, '/pod_production'),
      POD_SMOKE_TOKEN: SMOKE_TOKEN,
    };
  }, 300_000);
  afterAll(async () => {
    if (env) await removeContainers(env);
    await registry?.stop();
    pg?.stop();
    deployment?.cleanup();
    if (env) await removeContainerDir(dir, env);
  }, 120_000);

  const podman = (...args: string[]) => execa('podman', args, { env: { ...process.env, ...env } });
  const record = (envName: string, project: string) => deployment.ledger(envName).filter((r) => r.project === project).at(-1)!;

  it('builds, pushes, migrates, rolls out and smoke-tests both backends, then the frontend', async () => {
    const res = await deployment.run(['nx', 'run-many', '-t', 'deploy', '-c', 'staging', '-p', 'api-server', 'mcp-server', 'frontend', '--output-style=static'], vars);
    expect(res.exitCode, res.all as string).toBe(0);
    const api = record('staging', 'api-server');
    expect(api).toMatchObject({ status: 'succeeded', kind: 'deploy' });
    const pushed = await registryManifest(registry, 'api-server', '0.1.0');
    expect(api.image).toBe(`${registry.host}/api-server@${pushed!.digest}`);
    expect(api.backupRef).toMatch(/backups\/staging\/api-server\/.*\.dump$/);
    expect(pg.psql('SELECT count(*) FROM schema_migrations')).toBe('2');
    expect(record('staging', 'mcp-server').image).toMatch(new RegExp(`^${registry.host}/mcp-server@sha256:`));

    const running = (await podman('ps', '--format', '{{.Image}} {{.Names}}')).stdout;
    expect(running).toContain('api-server-staging-');
    const health = await (await fetch(`http://127.0.0.1:${ports.staging}/health`)).json();
    expect(health.gitSha).toBe(api.gitSha);

    // frontend's deploy task started only after both backend deploys finished
    const out = res.all as string;
    expect(out.indexOf('> nx run frontend:deploy:staging')).toBeGreaterThan(out.lastIndexOf('deploy api-server 0.1.0 to staging'));
    expect(out.indexOf('> nx run frontend:deploy:staging')).toBeGreaterThan(out.lastIndexOf('deploy mcp-server 0.1.0 to staging'));
    expect(out).not.toContain(SMOKE_TOKEN);
  });

  it('rolls a release that fails smoke back to the previous container, healthy', async () => {
    const good = record('staging', 'api-server');
    // A release whose rate limit is too generous: healthy, but the 429 smoke check fails.
    const res = await deployment.run(['nx', 'run', 'api-server:deploy:staging', '--output-style=static', '--excludeTaskDependencies'], { ...vars, POD_RATE_LIMIT_MAX: '100000' });
    expect(res.exitCode).not.toBe(0);
    expect(res.all).toMatch(/429 past the rate limit: expected status 429, got 200/);
    expect(res.all).toMatch(/rolled back to the previous version .* \(healthy again in [\d.]+ s\)/);
    const bad = record('staging', 'api-server');
    expect(bad.status).toBe('rolled_back');
    const seconds = Number(/healthy again in ([\d.]+) s/.exec(res.all as string)![1]);
    console.log(`failure detected -> previous version healthy: ${seconds} s`);
    expect((await fetch(`http://127.0.0.1:${ports.staging}/ready`)).status).toBe(200);
    const rl = await fetch(`http://127.0.0.1:${ports.staging}/v1/agents`, { headers: { authorization: `Bearer ${SMOKE_TOKEN}` } });
    expect(rl.status).toBe(200);
    expect(good.image).toBeDefined();
  });

  it('rolls back a deliberately broken image (no node in it) to the previous container', async () => {
    const good = deployment.ledger('staging').filter((r) => r.project === 'api-server' && r.status === 'succeeded').at(-1)!;
    const broken = join(dir, 'broken-base');
    mkdirSync(broken, { recursive: true });
    writeFileSync(join(broken, 'Containerfile'), 'FROM localhost/pod-node-base:22\nRUN rm /usr/local/bin/node && ln -s /bin/false /usr/local/bin/node\n');
    await podman('build', '--pull=never', '-t', 'localhost/pod-broken-base:22', broken);
    const res = await deployment.run(['nx', 'run', 'api-server:deploy:staging', '--output-style=static', '--excludeTaskDependencies'], {
      ...vars,
      POD_BASE_IMAGE: 'localhost/pod-broken-base:22',
    });
    expect(res.exitCode).not.toBe(0);
    expect(res.all).toMatch(/the new version did not become healthy at http:\/\/127\.0\.0\.1:\d+\/health/);
    expect(res.all).toContain(`rolled back to the previous version ${good.image}`);
    const bad = record('staging', 'api-server');
    expect(bad.status).toBe('rolled_back');
    expect(bad.image).not.toBe(good.image);
    const running = (await podman('ps', '--format', '{{.Image}}')).stdout;
    expect(running).toContain(String(good.image));
    expect((await fetch(`http://127.0.0.1:${ports.staging}/ready`)).status).toBe(200);
  });

  it('promotes the staging digest to production without rebuilding', async () => {
    const staged = deployment.ledger('staging').filter((r) => r.project === 'api-server' && r.status === 'succeeded').at(-1)!;
    const res = await deployment.run(['nx', 'run', 'api-server:deploy:production', '--output-style=static', '--excludeTaskDependencies'], vars);
    expect(res.exitCode, res.all as string).toBe(0);
    expect(res.all).toContain(`promoting ${staged.image} (passed staging); not rebuilding`);
    expect(res.all).not.toMatch(/podman build/);
    expect(record('production', 'api-server').image).toBe(staged.image);
    expect((await registryManifest(registry, 'api-server', 'production'))!.digest).toBe(String(staged.image).split('@')[1]);
  });

  it('names the registry and switches nothing when the registry is down', async () => {
    const before = (await podman('ps', '--format', '{{.Names}}')).stdout;
    await registry.stop();
    const res = await deployment.run(['nx', 'run', 'mcp-server:deploy:staging', '--output-style=static', '--excludeTaskDependencies'], vars);
    expect(res.exitCode).not.toBe(0);
    expect(res.all).toContain(`pushing to the container registry ${registry.host} failed; nothing was rolled out`);
    expect((await podman('ps', '--format', '{{.Names}}')).stdout).toBe(before);
  });
});
