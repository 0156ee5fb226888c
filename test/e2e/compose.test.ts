import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startContainerInfra, type ContainerInfra } from '../support/container-fixture.ts';
import { registryManifest } from '../support/containers.ts';
import { freePort } from '../support/ports.ts';
import { startPostgres, type Postgres } from '../support/postgres.ts';
import { TestDeployment } from '../support/workspace.ts';

const SMOKE_TOKEN = 'compose-smoke-token-secret-77';

// Runtime compose: the api-server's docker-compose.staging.yml brought up by docker-compose (through
// podman's Docker-compatible API: there is no Docker engine here) with the pushed image pinned by
// digest, migrated PostgreSQL, smoke tests against it; then a release with other settings that
// fails smoke, rolled back to the previous image AND the previous settings. (Debian's
// podman-compose 1.0.3 cannot run a service on the host network: it always adds a project network.)
describe('compose runtime', () => {
  let infra: ContainerInfra;
  let pg: Postgres;
  let deployment: TestDeployment;
  let port: number;
  let vars: Record<string, string>;

  beforeAll(async () => {
    [infra, pg] = await Promise.all([startContainerInfra('compose', { podmanService: true }), startPostgres()]);
    port = await freePort();
    deployment = new TestDeployment({
      staging: {
        runtime: 'compose',
        containers: { registry: infra.registry.host, engine: 'docker' },
        database: { urlVariable: 'STAGING_DATABASE_URL' },
        services: { 'api-server': { url: `http://127.0.0.1:${port}`, healthPath: '/health' } },
        secrets: ['POD_SMOKE_TOKEN'],
      },
    });
    vars = { ...infra.vars, STAGING_DATABASE_URL: pg.url, POD_SMOKE_TOKEN: SMOKE_TOKEN };
  }, 300_000);
  afterAll(async () => {
    pg?.stop();
    await deployment?.cleanup();
    await infra?.stop();
  }, 120_000);

  const deploy = (extra: Record<string, string> = {}) =>
    deployment.run(['nx', 'run', 'api-server:deploy:staging', '--output-style=static', '--excludeTaskDependencies'], { ...vars, ...extra });
  /** How many of `n` quick authorised calls the running server answers 429: its rate limit setting, seen from outside. */
  const limited = async (n: number) => {
    let count = 0;
    for (let i = 0; i < n; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/v1/agents`, { headers: { authorization: `Bearer ${SMOKE_TOKEN}` } });
      if (res.status === 429) count++;
    }
    return count;
  };

  it('brings the compose file up with the pushed digest and passes smoke', async () => {
    const res = await deploy();
    expect(res.exitCode, res.all as string).toBe(0);
    expect(res.all).toMatch(/\$ docker-compose --project-name api-server-staging-[0-9a-f]+ --file .*docker-compose\.staging\.yml up --detach/);
    expect(res.all).not.toContain(SMOKE_TOKEN);
    const pushed = await registryManifest(infra.registry, 'api-server', 'staging');
    const image = `${infra.registry.host}/api-server@${pushed!.digest}`;
    expect(deployment.ledger('staging').at(-1)).toMatchObject({ status: 'succeeded', image });
    expect(await infra.podman('ps', '--format', '{{.Image}}')).toContain(image);
    expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(200);
  });

  it('rolls a release with other settings that fails smoke back to the previous image and settings', async () => {
    const good = deployment.ledger('staging').at(-1)!;
    const res = await deploy({ POD_RATE_LIMIT_MAX: '100000' });
    expect(res.exitCode).not.toBe(0);
    expect(res.all).toMatch(/429 past the rate limit: expected status 429, got 200/);
    expect(deployment.ledger('staging').at(-1)).toMatchObject({
      status: 'rolled_back',
      rollback: { outcome: 'restored', serving: `0.1.0 (${good.image})` },
    });
    // The previous compose project's container runs again as it ran: with its rate limit of 20, not 100000.
    expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(200);
    expect(await limited(25)).toBeGreaterThan(0);
    const running = (await infra.podman('ps', '--format', '{{.Labels}}')).match(/com\.docker\.compose\.project:api-server-staging-[0-9a-f]+/g);
    expect(new Set(running).size).toBe(1);
  });

  it('nx-deploy rollback starts the compose project that served before again, once', async () => {
    // What serves now: the first deploy's image (the failed one in between rebuilt the image, and a
    // rebuild is a new digest where the layer cache is cold).
    const good = deployment.ledger('staging').findLast((r) => r.status === 'succeeded')!;
    const next = await deploy({ POD_RATE_LIMIT_MAX: '60' });
    expect(next.exitCode, next.all as string).toBe(0);
    const res = await deployment.run(['nx-deploy', 'rollback', 'api-server', '--env', 'staging'], vars);
    expect(res.exitCode, res.all as string).toBe(0);
    expect(res.all).toMatch(/rolling back to 0\.1\.0 \(.*\), compose project api-server-staging-[0-9a-f]+/);
    expect(deployment.ledger('staging').at(-1)).toMatchObject({ kind: 'rollback', status: 'succeeded', artifact: `0.1.0 (${good.image})` });
    // Its own settings again: a rate limit of 20, not 60.
    expect(await limited(25)).toBeGreaterThan(0);
    const again = await deployment.run(['nx-deploy', 'rollback', 'api-server', '--env', 'staging'], vars);
    expect(again.exitCode).not.toBe(0);
    expect(again.all).toContain('api-server in staging cannot be rolled back: no earlier compose project is kept');
  });
});
