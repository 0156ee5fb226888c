import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBaseImage, containerEnv, registryManifest, removeContainerDir, removeContainers, startPodmanService, startRegistry, type ContainerEnv, type PodmanService, type Registry } from '../support/containers.ts';
import { freePort } from '../support/ports.ts';
import { startPostgres, type Postgres } from '../support/postgres.ts';
import { TestDeployment } from '../support/workspace.ts';

// Runtime compose: the api-server's docker-compose.staging.yml brought up by docker-compose (through
// podman's Docker-compatible API: there is no Docker engine here) with the pushed image pinned by
// digest, migrated PostgreSQL, smoke tests against it. (Debian's podman-compose 1.0.3 cannot run a
// service on the host network: it always adds a project network.)
describe('compose runtime', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pod-compose-'));
  let env: ContainerEnv;
  let service: PodmanService;
  let registry: Registry;
  let pg: Postgres;
  let deployment: TestDeployment;
  let port: number;

  beforeAll(async () => {
    registry = await startRegistry(join(dir, 'registry'));
    env = containerEnv(join(dir, 'containers'), { insecureRegistries: [registry.host] });
    [pg, service] = await Promise.all([startPostgres(), startPodmanService(join(dir, 'service'), env), buildBaseImage(env)]);
    port = await freePort();
    deployment = new TestDeployment({
      staging: {
        runtime: 'compose',
        containers: { registry: registry.host, engine: 'docker' },
        database: { urlVariable: 'STAGING_DATABASE_URL' },
        services: { 'api-server': { url: `http://127.0.0.1:${port}` } },
        secrets: ['POD_SMOKE_TOKEN'],
      },
    });
  }, 300_000);
  afterAll(async () => {
    if (env) await removeContainers(env);
    await service?.stop();
    await registry?.stop();
    pg?.stop();
    deployment?.cleanup();
    if (env) await removeContainerDir(dir, env);
  }, 120_000);

  it('brings the compose file up with the pushed digest and passes smoke', async () => {
    const res = await deployment.run(['nx', 'run', 'api-server:deploy:staging', '--output-style=static', '--excludeTaskDependencies'], {
      ...service.dockerEnv,
      POD_BASE_IMAGE: 'localhost/pod-node-base:22',
      STAGING_DATABASE_URL: pg.url,
      POD_SMOKE_TOKEN: 'compose-smoke-token-secret-77',
    });
    expect(res.exitCode, res.all as string).toBe(0);
    expect(res.all).toMatch(/\$ docker-compose --project-name api-server-staging --file .*docker-compose\.staging\.yml up --detach/);
    expect(res.all).not.toContain('compose-smoke-token-secret-77');
    const pushed = await registryManifest(registry, 'api-server', 'staging');
    const image = `${registry.host}/api-server@${pushed!.digest}`;
    expect(deployment.ledger('staging').at(-1)).toMatchObject({ status: 'succeeded', image });
    const ps = await execa('podman', ['ps', '--format', '{{.Image}}'], { env: { ...process.env, ...env } });
    expect(ps.stdout).toContain(image);
    expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(200);
  });
});
