import type { Command } from '../core/run.ts';

/** Renders a kustomization folder to manifests (kustomize built into kubectl; no cluster needed). */
export function kustomizeBuild(dir: string): Command {
  return { argv: ['kubectl', 'kustomize', dir] };
}

/** `dryRun`: the API server validates every object and changes nothing (what it refuses, it names). */
export function kubectlApply(file: string, opts: { validate: boolean; dryRun?: boolean }): Command {
  return { argv: ['kubectl', 'apply', ...(opts.dryRun ? ['--dry-run=server'] : []), ...(opts.validate ? [] : ['--validate=false']), '-f', file] };
}

/** Waits until a Deployment is rolled out, or fails at the timeout. */
export function kubectlRolloutStatus(d: { name: string; namespace?: string }, timeoutMs: number): Command {
  return {
    argv: [
      'kubectl',
      'rollout',
      'status',
      `deployment/${d.name}`,
      ...(d.namespace ? ['--namespace', d.namespace] : []),
      `--timeout=${Math.ceil(timeoutMs / 1000)}s`,
    ],
    timeoutMs: timeoutMs + 30_000,
  };
}

/** A kustomization that takes an overlay and pins its image to a digest. */
export function pinnedKustomization(overlay: string, manifestImage: string, image: string): string {
  const [name, digest] = image.split('@') as [string, string];
  return [
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    'kind: Kustomization',
    'resources:',
    `  - ${JSON.stringify(overlay)}`,
    'images:',
    `  - name: ${JSON.stringify(manifestImage)}`,
    `    newName: ${JSON.stringify(name)}`,
    `    digest: ${JSON.stringify(digest)}`,
    '',
  ].join('\n');
}

const inNamespace = (namespace?: string) => (namespace ? ['--namespace', namespace] : []);

/** An object as JSON (`kind/name`), or the list of a kind matching a label selector. */
export function kubectlGetJson(what: string, opts: { namespace?: string; selector?: string } = {}): Command {
  return {
    argv: ['kubectl', 'get', what, ...inNamespace(opts.namespace), ...(opts.selector ? ['--selector', opts.selector] : []), '--output=json'],
    timeoutMs: 60_000,
  };
}

export function kubectlCreateNamespace(namespace: string): Command {
  return { argv: ['kubectl', 'create', 'namespace', namespace], timeoutMs: 60_000 };
}

/** Forwards a port of this machine's loopback to a pod's port through the API server (kubectl stays running). */
export function kubectlPortForward(pod: { name: string; namespace?: string }, localPort: number, podPort: number): Command {
  return { argv: ['kubectl', 'port-forward', '--address', '127.0.0.1', ...inNamespace(pod.namespace), `pod/${pod.name}`, `${localPort}:${podPort}`] };
}
