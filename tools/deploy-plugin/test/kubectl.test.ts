import { describe, expect, it } from 'vitest';
import {
  kubectlApply,
  kubectlCreateNamespace,
  kubectlGetJson,
  kubectlPortForward,
  kubectlRolloutStatus,
  pinnedKustomization,
} from '../src/commands/kubectl.ts';

describe('kubectl builders', () => {
  it('pins the manifests image to a digest through a kustomization over the overlay', () => {
    expect(
      pinnedKustomization('../../../packages/mcp-server/k8s/overlays/staging', 'pod-protocol/mcp-server', '127.0.0.1:5000/mcp-server@sha256:abc'),
    ).toBe(
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - "../../../packages/mcp-server/k8s/overlays/staging"\nimages:\n  - name: "pod-protocol/mcp-server"\n    newName: "127.0.0.1:5000/mcp-server"\n    digest: "sha256:abc"\n',
    );
  });

  it('applies and waits per Deployment', () => {
    expect(kubectlApply('/m.yaml', { validate: false }).argv).toEqual(['kubectl', 'apply', '--validate=false', '-f', '/m.yaml']);
    expect(kubectlApply('/m.yaml', { validate: true, dryRun: true }).argv).toEqual(['kubectl', 'apply', '--dry-run=server', '-f', '/m.yaml']);
    expect(kubectlRolloutStatus({ name: 'mcp-server', namespace: 'pod-staging' }, 120_000).argv).toEqual([
      'kubectl',
      'rollout',
      'status',
      'deployment/mcp-server',
      '--namespace',
      'pod-staging',
      '--timeout=120s',
    ]);
  });

  it('reads objects as JSON, creates a namespace, forwards a local loopback port to a pod', () => {
    expect(kubectlGetJson('pods', { namespace: 'pod-staging', selector: 'app=mcp,tier=web' }).argv).toEqual([
      'kubectl',
      'get',
      'pods',
      '--namespace',
      'pod-staging',
      '--selector',
      'app=mcp,tier=web',
      '--output=json',
    ]);
    expect(kubectlGetJson('secret/mcp-server').argv).toEqual(['kubectl', 'get', 'secret/mcp-server', '--output=json']);
    expect(kubectlCreateNamespace('pod-staging').argv).toEqual(['kubectl', 'create', 'namespace', 'pod-staging']);
    expect(kubectlPortForward({ name: 'mcp-server-abc', namespace: 'pod-staging' }, 41234, 3100).argv).toEqual([
      'kubectl',
      'port-forward',
      '--address',
      '127.0.0.1',
      '--namespace',
      'pod-staging',
      'pod/mcp-server-abc',
      '41234:3100',
    ]);
  });
});
