import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildBaseImage, containerEnv, registryManifest, removeContainerDir, removeContainers, startPodmanService, startRegistry,
  type ContainerEnv, type PodmanService, type Registry,
} from '../support/containers.ts';
import { freePort } from '../support/ports.ts';
import { TestDeployment } from '../support/workspace.ts';

// The same build/push/roll-out path with the docker engine (the docker CLI, talking to podman's
// Docker-compatible API: there is no Docker engine here), and buildah for build + push.
describe('container engines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pod-engines-'));
  let env: ContainerEnv;
  let registry: Registry;
  let service: PodmanService;
  let deployment: TestDeployment;
  let port: number;

  beforeAll(async () => {
    registry = await startRegistry(join(dir, 'registry'));
    env = containerEnv(join(dir, 'containers'), { insecureRegistries: [registry.host] });
    [service] = await Promise.all([startPodmanService(join(dir, 'service'), env), buildBaseImage(env)]);
    port = await freePort();
    const services = { 'mcp-server': { url: `http://127.0.0.1:${port}` } };
    deployment = new TestDeployment({
      qa: { runtime: 'container', containers: { registry: registry.host, engine: 'docker' }, services },
      'qa-buildah': { runtime: 'container', containers: { registry: registry.host, engine: 'buildah' }, services },
    });
  }, 300_000);
  afterAll(async () => {
    if (env) await removeContainers(env);
    await service?.stop();
    await registry?.stop();
    deployment?.cleanup();
    if (env) await removeContainerDir(dir, env);
  }, 120_000);

  it('engine docker: builds, pushes, rolls out and smoke-tests the MCP server', async () => {
    const res = await deployment.run(['nx', 'run', 'mcp-server:deploy:qa', '--output-style=static', '--excludeTaskDependencies'], {
      ...service.dockerEnv,
      POD_BASE_IMAGE: 'localhost/pod-node-base:22',
    });
    expect(res.exitCode, res.all as string).toBe(0);
    expect(res.all).toMatch(/\$ docker build /);
    expect(res.all).toMatch(/\$ docker run --detach --name mcp-server-qa-/);
    const pushed = await registryManifest(registry, 'mcp-server', 'qa');
    expect(deployment.ledger('qa').at(-1)).toMatchObject({ status: 'succeeded', image: `${registry.host}/mcp-server@${pushed!.digest}` });
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
  });

  it('engine buildah: builds and pushes (it cannot run containers, so it has no roll-out)', async () => {
    const build = await deployment.run(['nx', 'run', 'mcp-server:build-image:qa-buildah', '--output-style=static', '--excludeTaskDependencies'], {
      ...env,
      POD_BASE_IMAGE: 'localhost/pod-node-base:22',
    });
    expect(build.exitCode, build.all as string).toBe(0);
    expect(build.all).toMatch(/\$ buildah bud /);
    const pushed = await registryManifest(registry, 'mcp-server', 'qa-buildah');
    expect(build.all).toContain(`image ${registry.host}/mcp-server@${pushed!.digest}`);
  });
});
