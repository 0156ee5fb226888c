import { UserError } from '../core/errors.ts';
import type { Host } from '../core/host.ts';
import { ENGINES, RUN_ENGINES } from '../commands/engines.ts';
import { engineProbe, type Engine } from '../commands/image.ts';

/** The configured engine, or the first that answers where it runs: docker (with a reachable daemon), podman, buildah. */
export async function resolveEngine(runner: Pick<Host, 'run'>, configured: Engine | undefined, canRun: boolean): Promise<Engine> {
  if (configured) {
    if (canRun && !ENGINES[configured].runs)
      throw new UserError(
        `${configured} builds and pushes images but cannot run them: set containers.engine to ${Object.keys(RUN_ENGINES).join(' or ')} for roll-outs`,
      );
    return configured;
  }
  const candidates = Object.values(ENGINES)
    .filter((e) => !canRun || e.runs)
    .map((e) => e.name);
  for (const engine of candidates) {
    const res = await runner.run(engineProbe(engine), { quiet: true, allowFailure: true }).catch(() => undefined);
    if (res?.exitCode === 0) return engine;
  }
  throw new UserError(
    `no container engine found: tried ${candidates.join(', ')}. Install one, or set environments.<env>.containers.engine in deploy.json`,
  );
}

/** Plain HTTP for loopback registries and those marked insecure; HTTPS otherwise. */
export function registryScheme(registry: string, insecure: boolean): 'http' | 'https' {
  return insecure || /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(registry) ? 'http' : 'https';
}

const ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

/**
 * The digest a registry serves for repository:tag (HEAD of the manifest; OCI manifests are only
 * found with their media type in Accept). Undefined when the tag is not there.
 */
export async function registryDigest(
  registry: string,
  repository: string,
  tag: string,
  opts: { insecure: boolean; username?: string; password?: string },
): Promise<string | undefined> {
  const url = `${registryScheme(registry, opts.insecure)}://${registry}/v2/${repository}/manifests/${tag}`;
  const auth: Record<string, string> = opts.username
    ? { authorization: `Basic ${Buffer.from(`${opts.username}:${opts.password ?? ''}`).toString('base64')}` }
    : {};
  let res: Response;
  try {
    res = await fetch(url, { method: 'HEAD', headers: { accept: ACCEPT, ...auth }, signal: AbortSignal.timeout(15_000) });
  } catch (err) {
    throw new UserError(
      `container registry ${registry} cannot be reached (${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message})`,
    );
  }
  if (res.status === 404) return undefined;
  if (res.status === 401 || res.status === 403)
    throw new UserError(
      `container registry ${registry} refused the credentials (HTTP ${res.status}); check containers.usernameVariable/passwordVariable`,
    );
  if (!res.ok) throw new UserError(`container registry ${registry} answered ${res.status} for ${repository}:${tag}`);
  return res.headers.get('docker-content-digest') ?? undefined;
}

/**
 * Whether a registry still serves an image reference (`host/repository@digest` or `:tag`), with
 * the environment's registry credentials: a rollback to an image that is gone would only fail
 * when the cluster pulls it.
 */
export async function imageServed(
  image: string,
  registry: { insecure?: boolean; usernameVariable?: string; passwordVariable?: string } | undefined,
  environ: NodeJS.ProcessEnv,
): Promise<boolean> {
  const slash = image.indexOf('/');
  const host = image.slice(0, slash);
  const rest = image.slice(slash + 1);
  const at = rest.indexOf('@');
  const colon = rest.lastIndexOf(':');
  const [repository, reference] =
    at >= 0 ? [rest.slice(0, at), rest.slice(at + 1)] : colon >= 0 ? [rest.slice(0, colon), rest.slice(colon + 1)] : [rest, 'latest'];
  const digest = await registryDigest(host, repository, reference, {
    insecure: registry?.insecure ?? false,
    username: registry?.usernameVariable ? environ[registry.usernameVariable] : undefined,
    password: registry?.passwordVariable ? environ[registry.passwordVariable] : undefined,
  });
  return digest !== undefined;
}
