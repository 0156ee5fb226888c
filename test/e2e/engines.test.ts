import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startContainerInfra, type ContainerInfra } from '../support/container-fixture.ts';
import { registryManifest } from '../support/containers.ts';
import { freePort } from '../support/ports.ts';
import { TestDeployment } from '../support/workspace.ts';

// The same build/push/roll-out path with the docker engine (the docker CLI, talking to podman's
// Docker-compatible API: there is no Docker engine here), and buildah for build + push.
describe('container engines', () => {
  let infra: ContainerInfra;
  let deployment: TestDeployment;
  let port: number;

  beforeAll(async () => {
    infra = await startContainerInfra('engines', { podmanService: true });
    port = await freePort();
    const services = { 'mcp-server': { url: `http://127.0.0.1:${port}`, healthPath: '/health' } };
    deployment = new TestDeployment({
      qa: { runtime: 'container', containers: { registry: infra.registry.host, engine: 'docker' }, services },
      'qa-buildah': { runtime: 'container', containers: { registry: infra.registry.host, engine: 'buildah' }, services },
    });
  }, 300_000);
  afterAll(async () => {
    await deployment?.cleanup();
    await infra?.stop();
  }, 120_000);

  it('engine docker: builds, pushes, rolls out and smoke-tests the MCP server', async () => {
    const res = await deployment.run(['nx', 'run', 'mcp-server:deploy:qa', '--output-style=static', '--excludeTaskDependencies'], infra.vars);
    expect(res.exitCode, res.all as string).toBe(0);
    expect(res.all).toMatch(/\$ docker build /);
    expect(res.all).toMatch(/\$ docker run --detach --name mcp-server-qa-/);
    const pushed = await registryManifest(infra.registry, 'mcp-server', 'qa');
    expect(deployment.ledger('qa').at(-1)).toMatchObject({ status: 'succeeded', image: `${infra.registry.host}/mcp-server@${pushed!.digest}` });
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
  });

  it('engine buildah: builds and pushes (it cannot run containers, so it has no roll-out)', async () => {
    const build = await deployment.run(
      ['nx', 'run', 'mcp-server:build-image:qa-buildah', '--output-style=static', '--excludeTaskDependencies'],
      infra.vars,
    );
    expect(build.exitCode, build.all as string).toBe(0);
    expect(build.all).toMatch(/\$ buildah bud /);
    const pushed = await registryManifest(infra.registry, 'mcp-server', 'qa-buildah');
    expect(build.all).toContain(`image ${infra.registry.host}/mcp-server@${pushed!.digest}`);
  });
});
