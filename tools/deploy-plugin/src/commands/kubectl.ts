import type { Command } from '../core/run.ts';

/** Renders a kustomization folder to manifests (kustomize built into kubectl; no cluster needed). */
export function kustomizeBuild(dir: string): Command {
  return { argv: ['kubectl', 'kustomize', dir] };
}

export function kubectlApply(file: string, opts: { validate: boolean }): Command {
  return { argv: ['kubectl', 'apply', ...(opts.validate ? [] : ['--validate=false']), '-f', file] };
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

/**
 * Pure: the Deployments in manifests rendered by `kubectl kustomize` (normalized YAML: top-level
 * keys unindented, metadata fields indented by two). Only they have a roll-out to wait for.
 */
export function deploymentsIn(yaml: string): Array<{ name: string; namespace?: string }> {
  return yaml
    .split(/^---\s*$/m)
    .filter((doc) => /^kind: Deployment\s*$/m.test(doc))
    .map((doc) => {
      const metadata = /^metadata:\n((?: {2}.*\n?)*)/m.exec(doc)?.[1] ?? '';
      return {
        name: /^ {2}name: ["']?([^"'\s]+)/m.exec(metadata)?.[1] ?? '',
        namespace: /^ {2}namespace: ["']?([^"'\s]+)/m.exec(metadata)?.[1],
      };
    })
    .filter((d) => d.name);
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
