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

/** Pure: the Secret objects in rendered manifests (`kind: Secret`), by name. */
export function secretsIn(yaml: string): string[] {
  return yaml
    .split(/^---\s*$/m)
    .filter((doc) => /^kind: Secret\s*$/m.test(doc))
    .map((doc) => /^metadata:\n(?: {2}.*\n)*? {2}name: ["']?([^"'\s]+)/m.exec(doc)?.[1] ?? '(unnamed)');
}

/**
 * Pure: why a rendered Deployment's rolling update could leave no ready pod (what a zero-downtime
 * roll-out needs): `maxUnavailable: 0`, and a readiness probe on each container, so an old pod goes
 * only after a new one answers. Empty when every Deployment has both.
 */
export function rolloutGaps(yaml: string): string[] {
  return yaml
    .split(/^---\s*$/m)
    .filter((doc) => /^kind: Deployment\s*$/m.test(doc))
    .flatMap((doc) => {
      const name = /^metadata:\n(?: {2}.*\n)*? {2}name: ["']?([^"'\s]+)/m.exec(doc)?.[1] ?? '(unnamed)';
      // kubectl kustomize's layout: the pod's `containers:` at six spaces, each item `      - `, its fields at eight.
      const lines = doc.split('\n');
      const start = lines.findIndex((l) => /^ {6}containers:\s*$/.test(l));
      const block: string[] = [];
      for (const line of start < 0 ? [] : lines.slice(start + 1)) {
        if (!/^ {6}- |^ {8}/.test(line)) break;
        block.push(line);
      }
      const containers = block.filter((l) => l.startsWith('      - ')).length;
      const probes = block.filter((l) => /^ {6}- readinessProbe:|^ {8}readinessProbe:/.test(l)).length;
      return [
        ...(/^ {6}maxUnavailable: ["']?0["']?\s*$/m.test(doc) ? [] : [`Deployment ${name}: spec.strategy.rollingUpdate.maxUnavailable is not 0`]),
        ...(containers > 0 && probes >= containers ? [] : [`Deployment ${name}: a container has no readinessProbe`]),
      ];
    });
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
