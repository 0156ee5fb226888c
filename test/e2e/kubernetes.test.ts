import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startContainerInfra, type ContainerInfra } from '../support/container-fixture.ts';
import { DOCKER_MANIFEST, OCI_MANIFEST, registryManifest } from '../support/containers.ts';
import { startKubeApiServerDouble, type KubeDouble } from '../support/kube-apiserver-double.ts';
import { freePort } from '../support/ports.ts';
import { waitFor } from '../support/processes.ts';
import { TestDeployment } from '../support/workspace.ts';

// The MCP server's Kubernetes roll-out: the real kubectl renders the staging overlay with the image
// pinned to the pushed digest, applies it and waits with `rollout status` — against a DOUBLE of the
// API server (no real one can run here). The test plays the kubelet: it runs the applied image
// with podman and marks the Deployment available once it answers, so smoke tests hit a real pod;
// told to refuse an image, it never does, and the roll-out must be undone.
describe('kubernetes runtime (API server double)', () => {
  let infra: ContainerInfra;
  let kube: KubeDouble;
  let deployment: TestDeployment;
  let port: number;
  let vars: Record<string, string>;
  /** The images the test's kubelet will run; any other stays pending, as a pod that never gets ready. */
  let accepts = (_image: string) => true;
  const started: string[] = [];

  beforeAll(async () => {
    infra = await startContainerInfra('k8s');
    port = await freePort();
    kube = await startKubeApiServerDouble({
      onDeployment: (d) => {
        if (d.status?.observedGeneration === d.metadata.generation) return; // a status update, not a new spec
        const image = d.spec.template.spec.containers[0].image as string;
        if (!accepts(image)) return;
        const name = `kubelet-${d.metadata.name}-${d.metadata.generation}`;
        void (async () => {
          for (const old of started.splice(0))
            await execa('podman', ['rm', '-f', '-t', '0', old], { env: { ...process.env, ...infra.env }, reject: false });
          await infra.podman('run', '-d', '--name', name, '--network', 'host', '-e', `PORT=${port}`, '-e', 'HOST=127.0.0.1', image);
          started.push(name);
          await waitFor('the pod', async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.ok || undefined, 60_000);
          kube.markAvailable(d.metadata.namespace, d.metadata.name);
        })();
      },
    });
    deployment = new TestDeployment({
      staging: {
        runtime: 'container',
        containers: { registry: infra.registry.host, engine: 'podman' },
        kubernetes: { validate: false }, // the double serves no OpenAPI
        services: { 'mcp-server': { url: `http://127.0.0.1:${port}`, healthPath: '/health', runtime: 'kubernetes' } },
      },
    });
    vars = { ...infra.vars, KUBECONFIG: kube.kubeconfig };
  }, 300_000);
  afterAll(async () => {
    await kube?.stop();
    await deployment?.cleanup();
    await infra?.stop();
  }, 120_000);

  const appliedImage = () => kube.deployment('pod-staging', 'mcp-server')!.spec.template.spec.containers[0].image as string;
  const run = (argv: string[], extra: Record<string, string> = {}) =>
    deployment.run(['nx', 'run', ...argv, '--output-style=static', '--excludeTaskDependencies'], { ...vars, ...extra });

  it('applies the overlay pinned to the pushed digest, waits for the rollout, then smoke-tests', async () => {
    const res = await run(['mcp-server:deploy:staging']);
    expect(res.exitCode, res.all as string).toBe(0);
    expect(res.all).toMatch(/\$ kubectl apply --validate=false -f /);
    expect(res.all).toContain('$ kubectl rollout status deployment/mcp-server --namespace pod-staging --timeout=300s');
    const pushed = await registryManifest(infra.registry, 'mcp-server', 'staging');
    const applied = kube.deployment('pod-staging', 'mcp-server')!;
    expect(applied.spec.replicas).toBe(1);
    expect(appliedImage()).toBe(`${infra.registry.host}/mcp-server@${pushed!.digest}`);
    expect(
      kube
        .objects()
        .map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)
        .sort(),
    ).toEqual(['Deployment/pod-staging/mcp-server', 'Service/pod-staging/mcp-server']);
    expect(deployment.ledger('staging').at(-1)).toMatchObject({ status: 'succeeded', image: appliedImage() });
  });

  it('re-applies the previous manifests when a roll-out never completes', async () => {
    const good = appliedImage();
    // Another image of the same commit (a different base), which the kubelet will not run.
    const base = join(infra.dir, 'other-base');
    mkdirSync(base, { recursive: true });
    writeFileSync(join(base, 'Containerfile'), 'FROM localhost/pod-node-base:22\nLABEL variant=other\n');
    await infra.podman('build', '--pull=never', '-t', 'localhost/pod-node-base-other:22', base);
    const build = await run(['mcp-server:build-image:staging'], { POD_BASE_IMAGE: 'localhost/pod-node-base-other:22' });
    expect(build.exitCode, build.all as string).toBe(0);
    const other = deployment.ledger('staging').at(-1)!.image as string;
    expect(other).not.toBe(good);
    accepts = (image) => image !== other;

    const res = await run(['mcp-server:rollout:staging', '--rolloutTimeoutMs=15000']);
    expect(res.exitCode).not.toBe(0);
    expect(res.all).toContain(`rolling out ${other}, recorded good in staging for this commit`);
    expect(res.all).toMatch(/the roll-out did not complete/);
    expect(res.all).toContain(`rolled back: ${good} serves again`);
    expect(appliedImage()).toBe(good);
    expect(deployment.ledger('staging').at(-1)).toMatchObject({
      kind: 'rollout',
      status: 'rolled_back',
      rollback: { outcome: 'restored', serving: good },
    });
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
  });

  it('nx-deploy rollback re-applies the previous manifests, and refuses while their image is gone from the registry', async () => {
    const good = appliedImage();
    accepts = () => true;
    const out = await run(['mcp-server:rollout:staging']);
    expect(out.exitCode, out.all as string).toBe(0);
    const other = appliedImage();
    expect(other).not.toBe(good);

    // The good image's manifest deleted from the registry (its blobs stay), then put back byte for byte.
    const path = `/v2/mcp-server/manifests/${good.split('@')[1]}`;
    const manifest = await infra.registry.fetch(path, { headers: { accept: `${OCI_MANIFEST}, ${DOCKER_MANIFEST}` } });
    const [body, type] = [Buffer.from(await manifest.arrayBuffer()), manifest.headers.get('content-type')!];
    expect((await infra.registry.fetch(path, { method: 'DELETE' })).status).toBe(202);
    const records = deployment.ledger('staging').length;
    const gone = await deployment.run(['nx-deploy', 'rollback', 'mcp-server', '--env', 'staging'], vars);
    expect(gone.exitCode).not.toBe(0);
    expect(gone.all).toContain(`mcp-server in staging cannot be rolled back: its image ${good} is gone from the registry`);
    expect(appliedImage()).toBe(other);
    expect(deployment.ledger('staging')).toHaveLength(records);

    expect((await infra.registry.fetch(path, { method: 'PUT', headers: { 'content-type': type }, body })).status).toBe(201);
    const back = await deployment.run(['nx-deploy', 'rollback', 'mcp-server', '--env', 'staging'], vars);
    expect(back.exitCode, back.all as string).toBe(0);
    expect(appliedImage()).toBe(good);
    expect(deployment.ledger('staging').at(-1)).toMatchObject({ kind: 'rollback', status: 'succeeded', version: '0.1.0', artifact: good });
    await waitFor(
      'the pod of the previous image',
      async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.ok || undefined,
      60_000,
    );
    const again = await deployment.run(['nx-deploy', 'rollback', 'mcp-server', '--env', 'staging'], vars);
    expect(again.all).toContain('mcp-server in staging cannot be rolled back: no earlier roll-out is kept');
  });
});
