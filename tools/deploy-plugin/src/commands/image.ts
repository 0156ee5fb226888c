import { ENGINES, RUN_ENGINES, type Engine, type LoginFiles, type RunEngine } from './engines.ts';
import type { Command } from '../core/run.ts';

export type { Engine, RunEngine } from './engines.ts';

/** Does this engine answer? */
export function engineProbe(engine: Engine): Command {
  return ENGINES[engine].probe();
}

export interface BuildSpec {
  file: string;
  context: string;
  /** Full references to tag the image with (registry/repository:tag). */
  tags: string[];
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  /** Build secrets: id -> a file holding the value (0600), mounted only into `RUN --mount=type=secret,id=<id>`. */
  secrets?: Record<string, string>;
}

/**
 * The build, for each engine. podman and buildah write Docker-format images so HEALTHCHECK and
 * friends survive (OCI drops them); the docker CLI always does.
 */
export function buildImage(engine: Engine, spec: BuildSpec): Command {
  const args = [
    '-f',
    spec.file,
    ...spec.tags.flatMap((t) => ['-t', t]),
    ...Object.entries(spec.buildArgs).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]),
    ...Object.entries(spec.labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
    ...Object.entries(spec.secrets ?? {}).flatMap(([id, file]) => ['--secret', `id=${id},src=${file}`]),
  ];
  return ENGINES[engine].build(args, spec.context, Object.keys(spec.secrets ?? {}).length > 0);
}

/** Push one reference; podman and buildah write the pushed digest to `digestFile`. */
export function pushImage(
  engine: Engine,
  ref: string,
  opts: { digestFile: string; authFile?: string; dockerConfig?: string; insecure?: boolean },
): Command {
  return ENGINES[engine].push(ref, opts);
}

/** Log in with the password on standard input, into a temporary auth file / docker config. */
export function loginRegistry(engine: Engine, registry: string, username: string, password: string, files: LoginFiles): Command {
  return ENGINES[engine].login(registry, username, password, files);
}

/** Pull a reference by digest, with a temporary auth file (podman) or docker config folder when logged in. */
export function pullImage(engine: RunEngine, ref: string, opts: { authFile?: string; dockerConfig?: string; insecure?: boolean }): Command {
  return RUN_ENGINES[engine].pull(ref, opts);
}

/** Registry-to-registry copy by digest (promotion): no rebuild, the same bytes. */
export function copyImage(from: string, to: string, opts: { authFile?: string; insecure: boolean }): Command {
  return {
    argv: [
      'skopeo',
      'copy',
      '--all',
      ...(opts.insecure ? ['--src-tls-verify=false', '--dest-tls-verify=false'] : []),
      ...(opts.authFile ? ['--authfile', opts.authFile] : []),
      `docker://${from}`,
      `docker://${to}`,
    ],
  };
}

/** Start a service container on the host network, its environment from a 0600 file (secrets stay out of argv). */
export function runContainer(engine: RunEngine, name: string, image: string, envFile: string, labels: Record<string, string>): Command {
  return {
    argv: [
      engine,
      'run',
      '--detach',
      '--name',
      name,
      '--network',
      'host',
      '--env-file',
      envFile,
      ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
      image,
    ],
  };
}

export function stopContainers(engine: RunEngine, names: string[]): Command {
  return { argv: [engine, 'stop', '--time', '10', ...names] };
}

export function startContainers(engine: RunEngine, names: string[]): Command {
  return { argv: [engine, 'start', ...names] };
}

export function removeContainer(engine: RunEngine, name: string): Command {
  return { argv: [engine, 'rm', '--force', name] };
}

/** One line per container: its state (`running`, `exited`, ...) and the host PID of its first process. */
export function inspectContainers(engine: RunEngine, names: string[]): Command {
  return { argv: [engine, 'inspect', '--format', '{{.State.Status}} {{.State.Pid}}', ...names] };
}

/** The containers (IDs, running or not) that compose made for a project. */
export function composeProjectContainers(engine: RunEngine, project: string): Command {
  return { argv: [engine, 'ps', '--all', '--quiet', '--filter', `label=com.docker.compose.project=${project}`] };
}

export function containerLogs(engine: RunEngine, name: string): Command {
  return { argv: [engine, 'logs', '--tail', '30', name] };
}

/** Recreate the project's services from the compose file (values come from the environment, not argv). */
export function composeDown(tool: string[], file: string, project: string): Command {
  return { argv: [...tool, '--project-name', project, '--file', file, 'down'] };
}

export function composeUp(tool: string[], file: string, project: string): Command {
  return { argv: [...tool, '--project-name', project, '--file', file, 'up', '--detach'] };
}
