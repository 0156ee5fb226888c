import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startContainerInfra, type ContainerInfra } from '../support/container-fixture.ts';
import { DOCKER_MANIFEST, OCI_MANIFEST, registryManifest } from '../support/containers.ts';
import { startKubeCluster, type KubeCluster } from '../support/kube-cluster.ts';
import { TestDeployment, workspaceRoot } from '../support/workspace.ts';

// The MCP server's Kubernetes roll-out on a REAL single-node cluster (etcd, API server, controller
// manager, scheduler, a kubelet with containerd and runc; test/support/kube-cluster.ts): the node
// pulls the pushed digest from the test registry, readiness probes run, pods serve on the pod network.
describe('kubernetes runtime (a real single-node cluster)', () => {
  let infra: ContainerInfra;
  let cluster: KubeCluster;
  let deployment: TestDeployment;
  let vars: Record<string, string>;
  const overlays = mkdtempSync(join(tmpdir(), 'pod-k8s-overlays-'));

  beforeAll(async () => {
    infra = await startContainerInfra('k8s');
    cluster = await startKubeCluster(infra);
    deployment = new TestDeployment({
      staging: {
        runtime: 'container',
        containers: { registry: infra.registry.host, engine: 'podman' },
        // In-cluster only (ClusterIP): checks reach the new pods through the runtime's port-forward.
        services: { 'mcp-server': { url: 'http://mcp-server.pod-staging.svc.cluster.local:3100', healthPath: '/health', runtime: 'kubernetes' } },
      },
    });
    vars = { ...infra.vars, KUBECONFIG: cluster.kubeconfig };
  }, 300_000);
  afterAll(async () => {
    await cluster?.stop();
    await deployment?.cleanup();
    await infra?.stop();
    rmSync(overlays, { recursive: true, force: true });
  }, 120_000);

  const run = (argv: string[], extra: Record<string, string> = {}) =>
    deployment.run(['nx', 'run', ...argv, '--output-style=static', '--excludeTaskDependencies'], { ...vars, ...extra });
  const json = async (...args: string[]) => JSON.parse(await cluster.kubectl(...args, '-o', 'json'));
  const deploymentImage = async () =>
    (await json('-n', 'pod-staging', 'get', 'deployment/mcp-server')).spec.template.spec.containers[0].image as string;
  /** An image of the same commit from another base (another digest); `extra` lines go into that base. */
  const otherBuild = async (name: string, extra: string[] = []) => {
    const base = join(infra.dir, name);
    mkdirSync(base, { recursive: true });
    writeFileSync(join(base, 'hang.cjs'), 'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);\n');
    writeFileSync(
      join(base, 'Containerfile'),
      ['FROM localhost/pod-node-base:22', 'COPY hang.cjs /hang.cjs', `LABEL variant=${name}`, ...extra, ''].join('\n'),
    );
    await infra.podman('build', '--pull=never', '-t', `localhost/pod-node-base-${name}:22`, base);
    const build = await run(['mcp-server:build-image:staging'], { POD_BASE_IMAGE: `localhost/pod-node-base-${name}:22` });
    expect(build.exitCode, build.all as string).toBe(0);
    return deployment.ledger('staging').at(-1)!.image as string;
  };

  it('refuses before any step when a Secret the overlay reads is missing, naming it and what reads it', async () => {
    const res = await run(['mcp-server:deploy:staging']);
    expect(res.exitCode).not.toBe(0);
    expect(res.all).toContain(
      'Secret mcp-server does not exist in namespace pod-staging (read by Deployment mcp-server container mcp-server env POD_API_TOKEN)',
    );
    expect(deployment.ledger('staging')).toEqual([]);
    await cluster.kubectl('create', 'namespace', 'pod-staging');
    await cluster.kubectl('-n', 'pod-staging', 'create', 'secret', 'generic', 'mcp-server', '--from-literal=pod-api-token=staging-token');
  });

  it('applies the overlay pinned to the pushed digest; the node pulls it; each new pod answers as this version; smoke goes through the port-forward', async () => {
    const res = await run(['mcp-server:deploy:staging']);
    expect(res.exitCode, res.all as string).toBe(0);
    expect(res.all).toMatch(/\$ kubectl apply --dry-run=server -f /);
    expect(res.all).toContain('$ kubectl rollout status deployment/mcp-server --namespace pod-staging --timeout=300s');
    expect(res.all).toMatch(/pod mcp-server-\S+ answers \/health as 0\.1\.0/);
    expect(res.all).toMatch(/checking the new version through the roll-out's port-forward to one of its pods \(http:\/\/127\.0\.0\.1:\d+\)/);
    const pushed = await registryManifest(infra.registry, 'mcp-server', 'staging');
    const image = `${infra.registry.host}/mcp-server@${pushed!.digest}`;
    expect(await deploymentImage()).toBe(image);
    const pods = (await json('-n', 'pod-staging', 'get', 'pods')).items;
    expect(pods).toHaveLength(1);
    // Pulled by the node through the CRI, by digest; the version and commit reach the pod.
    expect(pods[0].status.containerStatuses[0].imageID).toContain(pushed!.digest);
    const record = deployment.ledger('staging').at(-1)!;
    expect(record).toMatchObject({ status: 'succeeded', image });
    const env = Object.fromEntries(pods[0].spec.containers[0].env.map((e: { name: string; value?: string }) => [e.name, e.value]));
    expect(env).toMatchObject({ APP_VERSION: '0.1.0', GIT_SHA: record.gitSha, HOST: '0.0.0.0', PORT: '3100' });
  });

  it('a new image that never gets ready rolls back while the old pod serves every request', async () => {
    const good = await deploymentImage();
    const stuck = await otherBuild('never-ready', ['ENV NODE_OPTIONS=--require=/hang.cjs']);
    const load = steadyLoad(cluster);
    const res = await run(['mcp-server:rollout:staging', '--rolloutTimeoutMs=20000']);
    const counted = await load.stop();
    expect(res.exitCode).not.toBe(0);
    expect(res.all).toContain(`rolling out ${stuck}`);
    expect(res.all).toMatch(/the roll-out did not complete/);
    expect(res.all).toContain(`rolled back: ${good} serves again`);
    expect(await deploymentImage()).toBe(good);
    expect(deployment.ledger('staging').at(-1)).toMatchObject({
      kind: 'rollout',
      status: 'rolled_back',
      rollback: { outcome: 'restored', serving: good },
    });
    expect(counted.ok).toBeGreaterThan(20);
    expect(counted.failed, counted.errors.join('\n')).toBe(0);
  });

  it('a pod that cannot start is reported within seconds with the kubelet reason, not at the timeout', async () => {
    const good = await deploymentImage();
    // The base's entrypoint file is not there: node exits at once, over and over.
    await otherBuild('crashing', ['ENV NODE_OPTIONS=--require=/not-there.cjs']);
    const started = Date.now();
    const res = await run(['mcp-server:rollout:staging']);
    expect(res.exitCode).not.toBe(0);
    expect(res.all).toMatch(/Deployment mcp-server: pod mcp-server-\S+: container mcp-server (CrashLoopBackOff|RunContainerError)/);
    expect(Date.now() - started).toBeLessThan(120_000); // the roll-out's timeout is 300 s
    expect(await deploymentImage()).toBe(good);
  });

  /** The staging overlay with JSON patches on its Deployment, as a rollout option `manifests` (relative to the project). */
  const patchedOverlay = (name: string, ops: string[]) => {
    const projectRoot = join(workspaceRoot, 'packages', 'mcp-server');
    const overlay = join(overlays, name, 'staging');
    mkdirSync(overlay, { recursive: true });
    writeFileSync(
      join(overlay, 'kustomization.yaml'),
      [
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        'resources:',
        `  - ${relative(overlay, join(projectRoot, 'k8s', 'overlays', 'staging'))}`,
        'patches:',
        '  - target: {kind: Deployment, name: mcp-server}',
        '    patch: |-',
        ...ops.map((op) => `      - ${op}`),
        '',
      ].join('\n'),
    );
    return `--manifests=${relative(projectRoot, join(overlays, name))}/{environment}`;
  };

  it('a Deployment whose container declares no port is refused before anything is applied (its health could not be reached)', async () => {
    const before = await json('-n', 'pod-staging', 'get', 'deployment/mcp-server');
    const res = await run(['mcp-server:rollout:staging', patchedOverlay('portless', ['{op: remove, path: /spec/template/spec/containers/0/ports}'])]);
    expect(res.exitCode).not.toBe(0);
    expect(res.all).toContain('give Deployment mcp-server no containerPort on the first container, so nothing was applied');
    expect(res.all).not.toContain('$ kubectl apply');
    expect((await json('-n', 'pod-staging', 'get', 'deployment/mcp-server')).metadata.generation).toBe(before.metadata.generation);
  });

  it("a changed Deployment selector fails with the API server's own message, and nothing changes", async () => {
    const before = await json('-n', 'pod-staging', 'get', 'deployment/mcp-server');
    const manifests = patchedOverlay('selector', [
      '{op: add, path: /spec/selector/matchLabels/track, value: blue}',
      '{op: add, path: /spec/template/metadata/labels/track, value: blue}',
    ]);
    const records = deployment.ledger('staging').length;
    const res = await run(['mcp-server:rollout:staging', manifests]);
    expect(res.exitCode).not.toBe(0);
    expect(res.all).toMatch(/spec\.selector: Invalid value: .*field is immutable/);
    expect(res.all).not.toContain('rolled back');
    const after = await json('-n', 'pod-staging', 'get', 'deployment/mcp-server');
    expect(after.metadata.generation).toBe(before.metadata.generation);
    expect(after.spec.selector).toEqual(before.spec.selector);
    expect(deployment.ledger('staging').length).toBe(records + 1);
    expect(deployment.ledger('staging').at(-1)).toMatchObject({ status: 'failed' });
  });

  it('nx-deploy rollback mcp-server --env staging restores the previous revision, its pods healthy; refused while its image is gone', async () => {
    const good = await deploymentImage();
    const other = await otherBuild('other');
    const out = await run(['mcp-server:rollout:staging']);
    expect(out.exitCode, out.all as string).toBe(0);
    expect(await deploymentImage()).toBe(other);

    // The previous image's manifest deleted from the registry (its blobs stay): refused, nothing
    // applied, no record; put back byte for byte, the rollback goes ahead.
    const path = `/v2/mcp-server/manifests/${good.split('@')[1]}`;
    const manifest = await infra.registry.fetch(path, { headers: { accept: `${OCI_MANIFEST}, ${DOCKER_MANIFEST}` } });
    const [body, type] = [Buffer.from(await manifest.arrayBuffer()), manifest.headers.get('content-type')!];
    expect((await infra.registry.fetch(path, { method: 'DELETE' })).status).toBe(202);
    const records = deployment.ledger('staging').length;
    const gone = await deployment.run(['nx-deploy', 'rollback', 'mcp-server', '--env', 'staging'], vars);
    expect(gone.exitCode).not.toBe(0);
    expect(gone.all).toContain(`mcp-server in staging cannot be rolled back: its image ${good} is gone from the registry`);
    expect(await deploymentImage()).toBe(other);
    expect(deployment.ledger('staging')).toHaveLength(records);
    expect((await infra.registry.fetch(path, { method: 'PUT', headers: { 'content-type': type }, body })).status).toBe(201);

    const back = await deployment.run(['nx-deploy', 'rollback', 'mcp-server', '--env', 'staging'], vars);
    expect(back.exitCode, back.all as string).toBe(0);
    expect(back.all).toMatch(/pod mcp-server-\S+ answers \/health/);
    expect(await deploymentImage()).toBe(good);
    expect(deployment.ledger('staging').at(-1)).toMatchObject({ kind: 'rollback', status: 'succeeded', artifact: good });
    const again = await deployment.run(['nx-deploy', 'rollback', 'mcp-server', '--env', 'staging'], vars);
    expect(again.all).toContain('mcp-server in staging cannot be rolled back: no earlier roll-out is kept');
  });
});

/**
 * Requests to the service as its Service would route them: every 50 ms, GET /health on a ready
 * endpoint of the mcp-server EndpointSlice (re-read every 500 ms), on the pod network of this machine.
 */
function steadyLoad(cluster: KubeCluster) {
  let stopped = false;
  const counted = { ok: 0, failed: 0, errors: [] as string[] };
  let ready: string[] = [];
  const refresh = async () => {
    const slices = JSON.parse(
      await cluster.kubectl('-n', 'pod-staging', 'get', 'endpointslices', '-l', 'kubernetes.io/service-name=mcp-server', '-o', 'json'),
    ).items as Array<{ endpoints?: Array<{ addresses: string[]; conditions: { ready?: boolean } }> }>;
    ready = slices.flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions.ready).flatMap((e) => e.addresses));
  };
  const loop = (async () => {
    await refresh();
    let last = Date.now();
    for (let i = 0; !stopped; i++) {
      if (Date.now() - last > 500) {
        await refresh().catch(() => undefined);
        last = Date.now();
      }
      const ip = ready[i % Math.max(ready.length, 1)];
      const res = ip
        ? await fetch(`http://${ip}:3100/health`, { signal: AbortSignal.timeout(2_000) }).catch((e: Error) => e)
        : new Error('no ready endpoint');
      if (res instanceof Response && res.ok) counted.ok++;
      else {
        counted.failed++;
        counted.errors.push(res instanceof Response ? `${ip}: ${res.status}` : `${ip}: ${res.message}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return counted;
    },
  };
}
