// Real container tooling for the e2e tests, kept entirely inside a temp dir: podman/buildah/skopeo
// with their own storage and config files (never /var/lib/containers), Debian's docker-registry on
// a free loopback port, `podman system service` for the docker CLI. Needs scripts/ci/containers.sh.
//
// Machine facts behind the settings (see the infra notes): crun cannot run containers on these
// hybrid-cgroup hosts, so runc; no systemd, so cgroupfs; no CAP_SYS_RESOURCE, so ulimits below
// the hard limits (podman's default nofile=1048576 fails). Host networking by default: bridge
// networking creates cni-podman0, /var/lib/cni and iptables chains (CNI-FORWARD, CNI-ADMIN) that
// outlive the test. containers.conf covers podman run/build and buildah bud, but NOT the docker
// CLI through the podman service: `docker run` there needs an explicit --network host.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { execa, type Options } from 'execa';
import { freePort } from './ports.ts';
import { stopPid, waitFor } from './processes.ts';
import { workspaceRoot } from './workspace.ts';
import { prepareContext } from '../../tools/deploy-plugin/src/image/context.ts';
import { createLogger } from '../../tools/deploy-plugin/src/core/log.ts';
import { Redactor } from '../../tools/deploy-plugin/src/core/redact.ts';
import { Runner } from '../../tools/deploy-plugin/src/core/run.ts';

export const DEFAULT_BASE_IMAGE_TAG = 'localhost/pod-node-base:22';

/** CONTAINERS_* (and TMPDIR, REGISTRY_AUTH_FILE) variables that point every tool at one temp dir. */
export type ContainerEnv = Record<string, string>;

export interface ContainerEnvOptions {
  /** overlay (default) is faster for node images: vfs copies the whole rootfs for every layer. */
  driver?: 'overlay' | 'vfs';
  /** host:port of plain-HTTP registries (e.g. from startRegistry) that podman and the docker CLI may use. */
  insecureRegistries?: string[];
  /** Default network of podman run and of RUN steps in builds: host (default) leaves nothing on the host. */
  network?: 'host' | 'bridge';
}

/**
 * Writes storage.conf, containers.conf and registries.conf under `dir` and returns the variables
 * that select them. Pass them as `env` to podman, buildah, skopeo and `podman system service`.
 */
export function containerEnv(dir: string, options: ContainerEnvOptions = {}): ContainerEnv {
  const { driver = 'overlay', insecureRegistries = [], network = 'host' } = options;
  for (const sub of ['store', 'run', 'tmp', 'libpod', 'net.d']) mkdirSync(join(dir, sub), { recursive: true });
  const q = (s: string) => JSON.stringify(s);
  writeFileSync(
    join(dir, 'storage.conf'),
    `[storage]\ndriver = ${q(driver)}\ngraphroot = ${q(join(dir, 'store'))}\nrunroot = ${q(join(dir, 'run'))}\n`,
  );
  writeFileSync(
    join(dir, 'containers.conf'),
    [
      '[containers]',
      ...(network === 'host' ? ['netns = "host"'] : []),
      'default_ulimits = ["nofile=4096:4096", "nproc=8192:8192"]',
      '[network]',
      `network_config_dir = ${q(join(dir, 'net.d'))}`,
      '[engine]',
      'runtime = "runc"',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      // Own lock files and tmp dir: the default SHM locks and /run/libpod are shared with every
      // other podman storage on the machine.
      'lock_type = "file"',
      `tmp_dir = ${q(join(dir, 'libpod'))}`,
      `image_copy_tmp_dir = ${q(join(dir, 'tmp'))}`,
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'registries.conf'), registriesConf(insecureRegistries));
  // podman login writes here instead of /run/containers/0/auth.json; the tools refuse a missing file.
  if (!existsSync(join(dir, 'auth.json'))) writeFileSync(join(dir, 'auth.json'), '{"auths":{}}\n');
  return {
    CONTAINERS_STORAGE_CONF: join(dir, 'storage.conf'),
    CONTAINERS_CONF: join(dir, 'containers.conf'),
    CONTAINERS_REGISTRIES_CONF: join(dir, 'registries.conf'),
    REGISTRY_AUTH_FILE: join(dir, 'auth.json'),
    TMPDIR: join(dir, 'tmp'),
  };
}

function registriesConf(insecure: string[]): string {
  // No unqualified search: "node:22-slim" must never turn into a Docker Hub request here.
  const entries = insecure.map((loc) => `[[registry]]\nlocation = ${JSON.stringify(loc)}\ninsecure = true\n`);
  return ['unqualified-search-registries = []', ...entries].join('\n') + '\n';
}

export interface ToolResult {
  stdout: string;
  stderr: string;
  all: string;
  exitCode: number;
  ms: number;
}

/** Runs podman/buildah/skopeo/docker with `env`; throws with the command and its output on failure. */
export async function tool(cmd: string, args: string[], env: ContainerEnv, options: Options = {}): Promise<ToolResult> {
  const start = Date.now();
  const res = await execa(cmd, args, { env, reject: false, all: true, stdin: 'ignore', ...options });
  const out: ToolResult = {
    stdout: String(res.stdout ?? '').trim(),
    stderr: String(res.stderr ?? '').trim(),
    all: String(res.all ?? ''),
    exitCode: res.exitCode ?? -1,
    ms: Date.now() - start,
  };
  if (out.exitCode !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed with exit code ${out.exitCode}:\n${out.all.slice(-4000)}`);
  }
  return out;
}

export const podman = (env: ContainerEnv, ...args: string[]) => tool('podman', args, env);
export const buildah = (env: ContainerEnv, ...args: string[]) => tool('buildah', args, env);

// ---------------------------------------------------------------------------------------------
// Local registry

export interface Registry {
  /** host:port, e.g. 127.0.0.1:41234: the image name prefix and the registries.conf location. */
  host: string;
  url: string;
  pid: number;
  dir: string;
  auth?: { user: string; password: string };
  /** fetch() against the registry, with basic auth when the registry has it. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * Debian's docker-registry (Distribution v2) on a free port of 127.0.0.1 (or `address`) with its own config and
 * storage under `dir`. With `auth`, an htpasswd file (bcrypt, made by `htpasswd -B`) guards it.
 * Ready when GET /v2/ answers (200, or 401 with auth).
 */
export async function startRegistry(dir: string, options: { auth?: { user: string; password: string }; address?: string } = {}): Promise<Registry> {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const port = await freePort();
  // `address`: one of this machine's own addresses that test hosts reach (their gateway), else loopback.
  const host = `${options.address ?? '127.0.0.1'}:${port}`;
  let authYaml = '';
  if (options.auth) {
    const { stdout } = await tool('htpasswd', ['-Bbn', options.auth.user, options.auth.password], {});
    writeFileSync(join(dir, 'htpasswd'), stdout + '\n');
    authYaml = `auth:\n  htpasswd:\n    realm: pod-test\n    path: ${join(dir, 'htpasswd')}\n`;
  }
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    `version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: ${join(dir, 'data')}}
  delete: {enabled: true}
  cache: {blobdescriptor: inmemory}
http:
  addr: ${host}
  headers: {X-Content-Type-Options: [nosniff]}
${authYaml}`,
  );
  const child = spawnLogged('docker-registry', ['serve', config], join(dir, 'registry.log'), {});
  const url = `http://${host}`;
  const authHeader = options.auth
    ? { authorization: `Basic ${Buffer.from(`${options.auth.user}:${options.auth.password}`).toString('base64')}` }
    : undefined;
  const registry: Registry = {
    host,
    url,
    pid: child.pid!,
    dir,
    auth: options.auth,
    fetch: (path, init = {}) => fetch(url + path, { ...init, headers: { ...authHeader, ...(init.headers as Record<string, string>) } }),
    stop: () => stopPid(child.pid),
  };
  await waitUntilReady('docker-registry', child, join(dir, 'registry.log'), async () => {
    const res = await fetch(`${url}/v2/`).catch(() => undefined);
    return res && (res.status === 200 || res.status === 401) ? true : undefined;
  }).catch(async (err) => {
    await registry.stop();
    throw err;
  });
  return registry;
}

/** OCI manifest media type: podman and buildah push OCI, and the registry 404s a HEAD without it. */
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

/**
 * Digest and media type of repo:tag in the registry (HEAD with the OCI and Docker Accept types), or
 * undefined if the tag is absent. Without the OCI type the registry answers 404 for OCI manifests.
 */
export async function registryManifest(registry: Registry, repo: string, tag: string): Promise<{ digest: string; mediaType: string } | undefined> {
  const res = await registry.fetch(`/v2/${repo}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { accept: `${OCI_MANIFEST}, ${DOCKER_MANIFEST}` },
  });
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`HEAD /v2/${repo}/manifests/${tag} on ${registry.host} answered ${res.status}`);
  return { digest: res.headers.get('docker-content-digest') ?? '', mediaType: res.headers.get('content-type') ?? '' };
}

// ---------------------------------------------------------------------------------------------
// Docker-compatible API (for the docker CLI)

export interface PodmanService {
  /** unix://<dir>/podman.sock: set as DOCKER_HOST for the docker CLI. */
  dockerHost: string;
  /** env for the docker CLI: DOCKER_HOST, DOCKER_CONFIG in the temp dir, legacy builder (no buildx here). */
  dockerEnv: Record<string, string>;
  pid: number;
  stop(): Promise<void>;
}

/**
 * `podman system service --time=0` on a unix socket in `dir`, using the storage and config of
 * `env`. The docker CLI talks to it through DOCKER_HOST (API 1.41; legacy builder).
 */
export async function startPodmanService(dir: string, env: ContainerEnv): Promise<PodmanService> {
  mkdirSync(dir, { recursive: true });
  const socket = join(dir, 'podman.sock');
  rmSync(socket, { force: true });
  const log = join(dir, 'podman-service.log');
  const child = spawnLogged('podman', ['system', 'service', '--time=0', `unix://${socket}`], log, env);
  const dockerHost = `unix://${socket}`;
  mkdirSync(join(dir, 'docker-config'), { recursive: true });
  const service: PodmanService = {
    dockerHost,
    dockerEnv: { ...env, DOCKER_HOST: dockerHost, DOCKER_CONFIG: join(dir, 'docker-config'), DOCKER_BUILDKIT: '0' },
    pid: child.pid!,
    stop: () => stopPid(child.pid, 10_000),
  };
  await waitUntilReady('podman system service', child, log, () => ping(socket)).catch(async (err) => {
    await service.stop();
    throw err;
  });
  return service;
}

function ping(socketPath: string): Promise<true | undefined> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 ? true : undefined);
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

function spawnLogged(cmd: string, args: string[], logFile: string, env: Record<string, string>): ChildProcess {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', fd, fd] });
    child.on('error', () => undefined); // reported by waitUntilReady through the exit check
    return child;
  } finally {
    closeSync(fd);
  }
}

async function waitUntilReady(what: string, child: ChildProcess, logFile: string, probe: () => Promise<true | undefined>): Promise<void> {
  await waitFor(
    what,
    async () => {
      if (child.exitCode !== null || child.signalCode !== null || !child.pid) {
        const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2000) : '';
        throw new Error(`${what} exited before it was ready (is it installed? run scripts/ci/containers.sh):\n${log}`);
      }
      return probe();
    },
    15_000,
  );
}

// ---------------------------------------------------------------------------------------------
// Base image

const baseImages = new Map<string, Promise<string>>();

/**
 * localhost/pod-node-base:22 (or `tag`) in the storage of `env`, built by scripts/build-base-image.sh
 * from the workspace's pinned node binary. Built at most once per storage and tag: later calls
 * (and an image already in the storage) reuse it. Resolves to the image ID.
 */
export function buildBaseImage(env: ContainerEnv, tag = DEFAULT_BASE_IMAGE_TAG): Promise<string> {
  const key = `${env.CONTAINERS_STORAGE_CONF}\n${tag}`;
  let pending = baseImages.get(key);
  if (!pending) {
    pending = (async () => {
      const exists = await execa('podman', ['image', 'exists', tag], { env, reject: false });
      if (exists.exitCode === 0) return (await podman(env, 'image', 'inspect', '--format', '{{.Id}}', tag)).stdout;
      const { stdout } = await tool('sh', [join(workspaceRoot, 'scripts', 'build-base-image.sh'), tag], env);
      return stdout.split('\n').at(-1)!;
    })();
    pending.catch(() => baseImages.delete(key));
    baseImages.set(key, pending);
  }
  return pending;
}

// ---------------------------------------------------------------------------------------------
// Build contexts

/**
 * A Docker build context for a workspace package, made by the deploy plugin's own context
 * builder: `files` from the package folder plus its production node_modules copied from the
 * workspace's installed tree. Returns the number of packages copied.
 */
export async function prepareImageContext(packageDir: string, contextDir: string, files: string[]): Promise<{ packages: number }> {
  const redactor = new Redactor();
  const runner = new Runner(
    workspaceRoot,
    redactor,
    createLogger(redactor, 'context', () => undefined),
  );
  return { packages: await prepareContext(workspaceRoot, packageDir, contextDir, files, runner, 'build it first') };
}

// ---------------------------------------------------------------------------------------------
// Cleanup

/**
 * Removes every container in the storage of `env` (all of them were started by this test: the
 * storage is private), including those the docker CLI started through the podman service.
 * Call before stopping the service; then delete the temp dir with removeContainerDir.
 */
export async function removeContainers(env: ContainerEnv): Promise<void> {
  const res = await execa('podman', ['ps', '-aq'], { env, reject: false });
  const ids = String(res.stdout ?? '')
    .split('\n')
    .filter(Boolean);
  if (ids.length) await execa('podman', ['rm', '-f', '-t', '0', ...ids], { env, reject: false });
}

/** Deletes the temp dir of containerEnv, after unmounting anything the storage still has mounted. */
export async function removeContainerDir(dir: string, env: ContainerEnv): Promise<void> {
  await execa('podman', ['unmount', '--all'], { env, reject: false });
  await execa('buildah', ['rm', '--all'], { env, reject: false });
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m === dir || m.startsWith(dir + '/'))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) await execa('umount', ['-l', m], { reject: false });
  rmSync(dir, { recursive: true, force: true });
}
