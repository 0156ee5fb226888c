import type { Command } from '../core/run.ts';

export type Engine = 'docker' | 'podman' | 'buildah';
/** The engines that run containers (buildah only builds and pushes). */
export type RunEngine = 'docker' | 'podman';

export interface LoginFiles {
  /** podman/buildah: the auth file `--authfile` writes. */
  authFile: string;
  /** docker: the config folder (`--config`, DOCKER_CONFIG) whose config.json login writes. */
  dockerConfig: string;
  insecure?: boolean;
}

/**
 * One container engine, as argv: everything that differs between docker, podman and buildah is
 * here, behind one interface, so no caller asks which engine it has.
 */
export interface EngineStrategy {
  readonly name: Engine;
  /** Can it run containers (roll-outs), or only build and push? */
  readonly runs: boolean;
  /** Where a login leaves its credentials: the auth file, or config.json in the docker config folder. */
  readonly credentialsIn: 'auth-file' | 'docker-config';
  /** Does it answer? docker must reach its daemon (or podman's Docker API), so it asks the server. */
  probe(): Command;
  /** The build of `args` (file, tags, build args, labels, secrets) in `context`. */
  build(args: string[], context: string, hasSecrets: boolean): Command;
  /** Push one reference; podman and buildah write the pushed digest to `digestFile`. */
  push(ref: string, opts: { digestFile: string; authFile?: string; dockerConfig?: string; insecure?: boolean }): Command;
  /** Log in with the password on standard input, into the temporary auth file / docker config. */
  login(registry: string, username: string, password: string, files: LoginFiles): Command;
}

/** An engine that runs containers: it also pulls, and has a compose. */
export interface RunEngineStrategy extends EngineStrategy {
  readonly name: RunEngine;
  /** Pull a reference, with the temporary auth file or docker config when logged in. */
  pull(ref: string, opts: { authFile?: string; dockerConfig?: string; insecure?: boolean }): Command;
  /** How its compose is invoked; `probe` asks whether docker's compose plugin is there (undefined: nothing to ask). */
  readonly compose: { probe?: Command; tool(pluginThere: boolean): string[] };
}

/** podman and buildah speak the same login; only the program differs. */
function authFileLogin(program: string): EngineStrategy['login'] {
  return (registry, username, password, files) => ({
    argv: [
      program,
      'login',
      ...(files.insecure ? ['--tls-verify=false'] : []),
      '--authfile',
      files.authFile,
      '--username',
      username,
      '--password-stdin',
      registry,
    ],
    input: password,
  });
}

const pushFlags = (opts: { digestFile: string; authFile?: string; insecure?: boolean }) => [
  ...(opts.insecure ? ['--tls-verify=false'] : []),
  '--digestfile',
  opts.digestFile,
  ...(opts.authFile ? ['--authfile', opts.authFile] : []),
];

const docker: RunEngineStrategy = {
  name: 'docker',
  runs: true,
  credentialsIn: 'docker-config',
  probe: () => ({ argv: ['docker', 'version', '--format', '{{.Server.Version}}'], timeoutMs: 15_000 }),
  // The classic builder (what podman's Docker API speaks) unless secrets need BuildKit's mounts.
  build: (args, context, hasSecrets) => ({ argv: ['docker', 'build', ...args, context], env: { DOCKER_BUILDKIT: hasSecrets ? '1' : '0' } }),
  push: (ref, opts) => ({ argv: ['docker', 'push', ref], env: opts.dockerConfig ? { DOCKER_CONFIG: opts.dockerConfig } : undefined }),
  login: (registry, username, password, files) => ({
    argv: ['docker', '--config', files.dockerConfig, 'login', '--username', username, '--password-stdin', registry],
    input: password,
  }),
  pull: (ref, opts) => ({ argv: ['docker', ...(opts.dockerConfig ? ['--config', opts.dockerConfig] : []), 'pull', ref] }),
  // docker's compose plugin (`docker compose`) where it is installed, else the docker-compose program.
  compose: {
    probe: { argv: ['docker', 'compose', 'version'], timeoutMs: 15_000 },
    tool: (plugin) => (plugin ? ['docker', 'compose'] : ['docker-compose']),
  },
};

// podman and buildah write Docker-format images so HEALTHCHECK and friends survive (OCI drops them).
const podman: RunEngineStrategy = {
  name: 'podman',
  runs: true,
  credentialsIn: 'auth-file',
  probe: () => ({ argv: ['podman', '--version'], timeoutMs: 15_000 }),
  build: (args, context) => ({ argv: ['podman', 'build', '--format', 'docker', ...args, context] }),
  push: (ref, opts) => ({ argv: ['podman', 'push', ...pushFlags(opts), ref] }),
  login: authFileLogin('podman'),
  pull: (ref, opts) => ({
    argv: [
      'podman',
      'pull',
      '--quiet',
      ...(opts.insecure ? ['--tls-verify=false'] : []),
      ...(opts.authFile ? ['--authfile', opts.authFile] : []),
      ref,
    ],
  }),
  compose: { tool: () => ['podman-compose'] },
};

const buildah: EngineStrategy = {
  name: 'buildah',
  runs: false,
  credentialsIn: 'auth-file',
  probe: () => ({ argv: ['buildah', '--version'], timeoutMs: 15_000 }),
  build: (args, context) => ({ argv: ['buildah', 'bud', '--format', 'docker', ...args, context] }),
  push: (ref, opts) => ({ argv: ['buildah', 'push', ...pushFlags(opts), ref, `docker://${ref}`] }),
  login: authFileLogin('buildah'),
};

/** Every engine, in the order one is looked for when none is configured. */
export const ENGINES: Record<Engine, EngineStrategy> = { docker, podman, buildah };
/** The engines that run containers. */
export const RUN_ENGINES: Record<RunEngine, RunEngineStrategy> = { docker, podman };
