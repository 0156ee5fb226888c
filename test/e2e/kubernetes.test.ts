import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBaseImage, containerEnv, registryManifest, removeContainerDir, removeContainers, startRegistry, type ContainerEnv, type Registry } from '../support/containers.ts';
import { startKubeApiServerDouble, type KubeDouble } from '../support/kube-apiserver-double.ts';
import { freePort } from '../support/ports.ts';
import { waitFor } from '../support/processes.ts';
import { TestDeployment } from '../support/workspace.ts';

// The MCP server's Kubernetes roll-out: the real kubectl renders the staging overlay with the image
// pinned to the pushed digest, applies it and waits with `rollout status` — against a DOUBLE of the
// API server (no real one can run here). The test plays the kubelet: it runs the applied image
// with podman and marks the Deployment available once it answers, so smoke tests hit a real pod.
describe('kubernetes runtime (API server double)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pod-k8s-'));
  let env: ContainerEnv;
  let registry: Registry;
  let kube: KubeDouble;
  let deployment: TestDeployment;
  let port: number;
  const started: string[] = [];

  beforeAll(async () => {
    registry = await startRegistry(join(dir, 'registry'));
    env = containerEnv(join(dir, 'containers'), { insecureRegistries: [registry.host] });
    await buildBaseImage(env);
    port = await freePort();
    kube = await startKubeApiServerDouble({
      onDeployment: (d) => {
        if (d.status?.observedGeneration === d.metadata.generation) return; // a status update, not a new spec
        const image = d.spec.template.spec.containers[0].image as string;
        const name = `kubelet-${d.metadata.name}-${d.metadata.generation}`;
        void (async () => {
          for (const old of started.splice(0)) await execa('podman', ['rm', '-f', '-t', '0', old], { env: { ...process.env, ...env }, reject: false });
          await execa('podman', ['run', '-d', '--name', name, '--network', 'host', '-e', `PORT=${port}`, '-e', 'HOST=127.0.0.1', image], { env: { ...process.env, ...env } });
          started.push(name);
          await waitFor('the pod', async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.ok || undefined, 60_000);
          kube.markAvailable(d.metadata.namespace, d.metadata.name);
        })();
      },
    });
    deployment = new TestDeployment({
      staging: {
        runtime: 'container',
        containers: { registry: registry.host, engine: 'podman' },
        kubernetes: { validate: false }, // the double serves no OpenAPI
        services: { 'mcp-server': { url: `http://127.0.0.1:${port}`, runtime: 'kubernetes' } },
      },
    });
  }, 300_000);
  afterAll(async () => {
    if (env) await removeContainers(env);
    await kube?.stop();
    await registry?.stop();
    deployment?.cleanup();
    if (env) await removeContainerDir(dir, env);
  }, 120_000);

  it('applies the overlay pinned to the pushed digest, waits for the rollout, then smoke-tests', async () => {
    const res = await deployment.run(['nx', 'run', 'mcp-server:deploy:staging', '--output-style=static', '--excludeTaskDependencies'], {
      ...env,
      KUBECONFIG: kube.kubeconfig,
      POD_BASE_IMAGE: 'localhost/pod-node-base:22',
    });
    expect(res.exitCode, res.all as string).toBe(0);
    expect(res.all).toMatch(/\$ kubectl apply --validate=false -f /);
    expect(res.all).toContain("$ kubectl rollout status deployment/mcp-server --namespace pod-staging --timeout=300s");
    const pushed = await registryManifest(registry, 'mcp-server', 'staging');
    const applied = kube.deployment('pod-staging', 'mcp-server')!;
    expect(applied.spec.replicas).toBe(1);
    expect(applied.spec.template.spec.containers[0].image).toBe(`${registry.host}/mcp-server@${pushed!.digest}`);
    expect(kube.objects().map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`).sort()).toEqual([
      'Deployment/pod-staging/mcp-server',
      'Service/pod-staging/mcp-server',
    ]);
    expect(deployment.ledger('staging').at(-1)).toMatchObject({ status: 'succeeded', image: applied.spec.template.spec.containers[0].image });
  });
});
