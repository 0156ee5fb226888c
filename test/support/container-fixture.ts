import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import {
  buildBaseImage,
  containerEnv,
  DEFAULT_BASE_IMAGE_TAG,
  removeContainerDir,
  removeContainers,
  startPodmanService,
  startRegistry,
  type ContainerEnv,
  type PodmanService,
  type Registry,
} from './containers.ts';

/**
 * What every container e2e file needs, set up the same way: a private podman storage in a temp dir,
 * Debian's docker-registry on a free loopback port, the Node base image, and optionally podman's
 * Docker-compatible API service (for the docker CLI and docker-compose). `vars` are the variables a
 * deploy needs to use them; `stop()` removes every container, stops the servers and deletes the dir.
 */
export interface ContainerInfra {
  dir: string;
  registry: Registry;
  env: ContainerEnv;
  service?: PodmanService;
  /** CONTAINERS_* (and the docker CLI's variables when the service runs), plus POD_BASE_IMAGE. */
  vars: Record<string, string>;
  podman(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export async function startContainerInfra(name: string, options: { podmanService?: boolean } = {}): Promise<ContainerInfra> {
  const dir = mkdtempSync(join(tmpdir(), `pod-${name}-`));
  const registry = await startRegistry(join(dir, 'registry'));
  const env = containerEnv(join(dir, 'containers'), { insecureRegistries: [registry.host] });
  const [service] = await Promise.all([options.podmanService ? startPodmanService(join(dir, 'service'), env) : undefined, buildBaseImage(env)]);
  return {
    dir,
    registry,
    env,
    service,
    vars: { ...env, ...service?.dockerEnv, POD_BASE_IMAGE: DEFAULT_BASE_IMAGE_TAG },
    podman: async (...args) => (await execa('podman', args, { env: { ...process.env, ...env } })).stdout,
    stop: async () => {
      await removeContainers(env);
      await service?.stop();
      await registry.stop();
      await removeContainerDir(dir, env);
    },
  };
}
