import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildah,
  buildBaseImage,
  containerEnv,
  DEFAULT_BASE_IMAGE_TAG,
  podman,
  prepareImageContext,
  registryManifest,
  removeContainerDir,
  removeContainers,
  startPodmanService,
  startRegistry,
  tool,
  type ContainerEnv,
  type PodmanService,
  type Registry,
} from '../support/containers.ts';
import { freePort } from '../support/ports.ts';
import { waitFor } from '../support/processes.ts';
import { workspaceRoot } from '../support/workspace.ts';

// The container tooling the deploy plugin's build-image executor relies on, for real: the local
// Node 22 base image, the api-server production image built by podman, by the docker CLI through
// `podman system service`, and by buildah, each pushed to a local docker-registry and checked by
// digest through the registry API. Everything lives in one temp dir; containers use the host network
// and listen on 127.0.0.1.
const apiServerDir = join(workspaceRoot, 'packages', 'api-server');
// No --network flags for podman and buildah: containerEnv makes host networking their default, so
// neither RUN steps nor containers create a CNI bridge. `docker run` through the podman service
// ignores that default (the CLI asks for the "default" network), so it passes --network host.
const buildArgs = ['--build-arg', `BASE_IMAGE=${DEFAULT_BASE_IMAGE_TAG}`];

/** Runs a step and prints how long it took: the timings are what tells a slow machine from a hang. */
async function timed<T>(step: string, run: () => T | Promise<T>): Promise<T> {
  const start = Date.now();
  const value = await run();
  console.log(`[container-infra] ${step}: ${((Date.now() - start) / 1000).toFixed(1)} s`);
  return value;
}

describe('container infrastructure', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pod-containers-'));
  const storeDir = join(dir, 'containers');
  const context = join(dir, 'context-api-server');
  let registry: Registry;
  let env: ContainerEnv;
  let service: PodmanService | undefined;
  let authRegistry: Registry | undefined;

  beforeAll(async () => {
    if (!existsSync(join(apiServerDir, 'dist', 'main.js'))) {
      await execa('npx', ['nx', 'run', 'api-server:build', '--output-style=static'], {
        cwd: workspaceRoot,
        env: { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' },
      });
    }
    registry = await timed('start docker-registry', () => startRegistry(join(dir, 'registry')));
    env = containerEnv(storeDir, { insecureRegistries: [registry.host] });
    await timed('prepare the api-server context', () =>
      prepareImageContext(apiServerDir, context, ['package.json', 'dist', 'migrations', '.dockerignore', 'Dockerfile.prod']),
    );
    await timed('build the base image', () => buildBaseImage(env));
  });

  afterAll(async () => {
    if (env) await timed('remove containers', () => removeContainers(env));
    await timed('stop podman system service', () => service?.stop());
    await registry?.stop();
    await authRegistry?.stop();
    if (env) await timed('delete the storage', () => removeContainerDir(storeDir, env));
    rmSync(dir, { recursive: true, force: true });
  });

  it('has a Node 22 base image that runs node as root and as uid 1000, and is built once', async () => {
    const asRoot = await podman(env, 'run', '--rm', DEFAULT_BASE_IMAGE_TAG, 'node', '-e', 'console.log(process.version, process.getuid())');
    expect(asRoot.stdout).toMatch(/^v22\.\d+\.\d+ 0$/);
    const asNode = await podman(
      env,
      'run',
      '--rm',
      '--user',
      'node',
      DEFAULT_BASE_IMAGE_TAG,
      'node',
      '-e',
      'console.log(process.getuid(), require("os").homedir())',
    );
    expect(asNode.stdout).toBe('1000 /home/node');
    const id = (await podman(env, 'image', 'inspect', '--format', '{{.Id}}', DEFAULT_BASE_IMAGE_TAG)).stdout;
    expect(await buildBaseImage(env)).toBe(id);
  });

  it('builds the api-server with podman, pushes it, and runs the pushed image', async () => {
    const ref = `${registry.host}/api-server:podman`;
    await timed('podman build', () => podman(env, 'build', ...buildArgs, '--pull=never', '-f', join(context, 'Dockerfile.prod'), '-t', ref, context));
    const digestFile = join(dir, 'podman.digest');
    await timed('podman push', () => podman(env, 'push', '--digestfile', digestFile, ref));
    const pushed = readFileSync(digestFile, 'utf8').trim();
    expect(pushed).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await registryManifest(registry, 'api-server', 'podman')).toEqual({
      digest: pushed,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
    });

    // Run what the registry has, not the local build: drop the tag, let run pull it back.
    await podman(env, 'rmi', ref);
    const port = await freePort();
    const name = `api-${port}`;
    await timed('podman run (pull from the registry)', () =>
      podman(env, 'run', '-d', '--name', name, '-e', `PORT=${port}`, '-e', 'HOST=127.0.0.1', ref),
    );
    const health = await timed('until /health answers', () =>
      waitFor('the api-server container to answer /health', async () => {
        const res = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
        return res?.status === 200 ? res.json() : undefined;
      }),
    );
    expect(health).toMatchObject({ status: 'ok', version: '0.1.0' });
    const user = await podman(env, 'exec', name, 'node', '-e', 'console.log(process.getuid())');
    expect(user.stdout).toBe('1000');

    // main.js handles SIGTERM as PID 1: a plain stop exits 0 well before the 10 s kill.
    await timed('podman stop', () => podman(env, 'stop', '-t', '10', name));
    expect((await podman(env, 'inspect', '--format', '{{.State.ExitCode}}', name)).stdout).toBe('0');
    await podman(env, 'rm', '-f', '-t', '0', name);
  });

  it('builds and pushes with the docker CLI through podman system service', async () => {
    service = await timed('start podman system service', () => startPodmanService(join(dir, 'service'), env));
    const docker = (...args: string[]) => tool('docker', args, service!.dockerEnv);
    expect((await docker('version', '--format', '{{.Server.Version}}')).stdout).toMatch(/^4\./);

    const ref = `${registry.host}/api-server:docker`;
    await timed('docker build', () => docker('build', ...buildArgs, '-f', join(context, 'Dockerfile.prod'), '-t', ref, context));
    const push = await timed('docker push', () => docker('push', ref));
    const pushed = /digest: (sha256:[0-9a-f]{64})/.exec(push.all)?.[1];
    expect(pushed, push.all).toBeDefined();
    expect((await registryManifest(registry, 'api-server', 'docker'))?.digest).toBe(pushed);

    const run = await timed('docker run', () =>
      docker('run', '--rm', '--network', 'host', ref, 'node', '-e', 'console.log(require("./package.json").name)'),
    );
    expect(run.stdout).toBe('@pod-protocol/api-server');
  });

  it('builds with buildah bud and pushes with buildah push', async () => {
    const ref = `${registry.host}/api-server:buildah`;
    await timed('buildah bud', () =>
      buildah(env, 'bud', '--isolation', 'chroot', ...buildArgs, '--pull=never', '-f', join(context, 'Dockerfile.prod'), '-t', ref, context),
    );
    const digestFile = join(dir, 'buildah.digest');
    await timed('buildah push', () => buildah(env, 'push', '--digestfile', digestFile, ref, `docker://${ref}`));
    const pushed = readFileSync(digestFile, 'utf8').trim();
    expect((await registryManifest(registry, 'api-server', 'buildah'))?.digest).toBe(pushed);
    const tags = (await (await registry.fetch('/v2/api-server/tags/list')).json()) as { tags: string[] };
    expect(tags.tags.sort()).toEqual(['buildah', 'docker', 'podman']);
  });

  it('pushes to a registry with htpasswd auth only with credentials', async () => {
    authRegistry = await startRegistry(join(dir, 'auth-registry'), { auth: { user: 'deployer', password: 'pw-for-tests-only' } });
    expect((await fetch(`${authRegistry.url}/v2/`)).status).toBe(401);
    // A one-file image: this is about auth, not size.
    const tiny = 'localhost/auth-probe:1';
    const ctr = (await buildah(env, 'from', '--pull=never', 'scratch')).stdout;
    await buildah(env, 'copy', ctr, join(context, 'package.json'), '/package.json');
    await buildah(env, 'commit', '--rm', ctr, tiny);
    const ref = `docker://${authRegistry.host}/auth-probe:1`;
    const anonymous = await execa('podman', ['push', '--tls-verify=false', tiny, ref], { env, reject: false, all: true });
    expect(anonymous.exitCode).not.toBe(0);
    expect(anonymous.all).toMatch(/authentication required|unauthorized/i);
    expect(await registryManifest(authRegistry, 'auth-probe', '1')).toBeUndefined();
    await podman(env, 'push', '--tls-verify=false', '--creds', 'deployer:pw-for-tests-only', tiny, ref);
    expect((await registryManifest(authRegistry, 'auth-probe', '1'))?.digest).toMatch(/^sha256:/);
  });
});
