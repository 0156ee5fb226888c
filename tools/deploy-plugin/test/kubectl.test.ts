import { describe, expect, it } from 'vitest';
import { deploymentsIn, kubectlApply, kubectlRolloutStatus, pinnedKustomization, secretsIn } from '../src/commands/kubectl.ts';

const rendered = `apiVersion: v1
kind: Service
metadata:
  name: mcp-server
  namespace: pod-staging
---
apiVersion: apps/v1
kind: Deployment
metadata:
  labels:
    app: mcp
  name: mcp-server
  namespace: pod-staging
spec:
  template:
    metadata:
      name: not-this-one
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
`;

describe('kubectl builders', () => {
  it('finds the Deployments of rendered manifests, with their namespaces', () => {
    expect(deploymentsIn(rendered)).toEqual([
      { name: 'mcp-server', namespace: 'pod-staging' },
      { name: 'worker', namespace: undefined },
    ]);
  });

  it('pins the manifests image to a digest through a kustomization over the overlay', () => {
    expect(
      pinnedKustomization('../../../packages/mcp-server/k8s/overlays/staging', 'pod-protocol/mcp-server', '127.0.0.1:5000/mcp-server@sha256:abc'),
    ).toBe(
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - "../../../packages/mcp-server/k8s/overlays/staging"\nimages:\n  - name: "pod-protocol/mcp-server"\n    newName: "127.0.0.1:5000/mcp-server"\n    digest: "sha256:abc"\n',
    );
  });

  it('applies and waits per Deployment', () => {
    expect(kubectlApply('/m.yaml', { validate: false }).argv).toEqual(['kubectl', 'apply', '--validate=false', '-f', '/m.yaml']);
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
});

describe('Secret objects in rendered manifests', () => {
  it('names each one (they would be kept in the state store), and finds none where there is none', () => {
    const withSecret = `${rendered}\n---\napiVersion: v1\ndata:\n  token: c2VjcmV0\nkind: Secret\nmetadata:\n  labels:\n    app: mcp\n  name: mcp-server-env\n  namespace: pod-staging\ntype: Opaque\n`;
    expect(secretsIn(withSecret)).toEqual(['mcp-server-env']);
    expect(secretsIn(rendered)).toEqual([]);
  });
});
