import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  missingSecrets,
  namespacesOf,
  parseManifests,
  rolloutGaps,
  secretReferencesOf,
  withContainerEnv,
  workloadsOf,
} from '../src/runtimes/kubernetes-manifests.ts';
import { podProblem, readyPodsOf, type Pod } from '../src/runtimes/kubernetes-pods.ts';

const overlay = (env: string) =>
  execFileSync('kubectl', ['kustomize', join(import.meta.dirname, '../../../packages/mcp-server/k8s/overlays', env)], { encoding: 'utf8' });

describe("Kubernetes' own rolling update", () => {
  const deployment = (strategy: string, probe: boolean) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: mcp-server
spec:
${strategy}  template:
    spec:
      containers:
      - image: x
        name: mcp-server
${probe ? '        readinessProbe:\n          httpGet:\n            path: /health\n' : ''}        resources: {}
`;
  const safe = '  strategy:\n    rollingUpdate:\n      maxSurge: 1\n      maxUnavailable: 0\n    type: RollingUpdate\n';

  it('must never leave a Deployment without a ready pod: maxUnavailable 0 and a readiness probe', () => {
    expect(rolloutGaps(parseManifests(deployment(safe, true)))).toEqual([]);
    expect(rolloutGaps(parseManifests(deployment('', true)))).toEqual(['Deployment mcp-server: spec.strategy.rollingUpdate.maxUnavailable is not 0']);
    expect(rolloutGaps(parseManifests(deployment(safe, false)))).toEqual(['Deployment mcp-server: a container has no readinessProbe']);
    expect(rolloutGaps(parseManifests(deployment(safe.replace('RollingUpdate', 'Recreate'), true)))).toEqual([
      'Deployment mcp-server: spec.strategy.rollingUpdate.maxUnavailable is not 0',
    ]);
    expect(rolloutGaps(parseManifests('kind: Service\nmetadata:\n  name: s\n'))).toEqual([]);
  });

  it("the MCP server's overlays pass, rendered by kustomize", () => {
    for (const env of ['staging', 'production']) expect(rolloutGaps(parseManifests(overlay(env))), env).toEqual([]);
  });
});

describe('what the runtime reads of rendered manifests', () => {
  const staging = parseManifests(overlay('staging'));

  it("the MCP server's staging overlay: its namespace, its Deployment's pods and port, the Secret it reads", () => {
    expect(namespacesOf(staging)).toEqual(['pod-staging']);
    expect(workloadsOf(staging)).toEqual([
      {
        name: 'mcp-server',
        namespace: 'pod-staging',
        selector: 'app.kubernetes.io/component=mcp,app.kubernetes.io/name=mcp-server,app.kubernetes.io/part-of=pod-protocol',
        port: 3100,
      },
    ]);
    expect(secretReferencesOf(staging)).toEqual([
      {
        namespace: 'pod-staging',
        secret: 'mcp-server',
        keys: ['pod-api-token'],
        readBy: ['Deployment mcp-server container mcp-server env POD_API_TOKEN'],
      },
    ]);
  });

  it('names each missing Secret and key with what reads it; optional references are not required', () => {
    const objects = parseManifests(`kind: Deployment
metadata: {name: web, namespace: ns}
spec:
  template:
    spec:
      containers:
        - name: app
          env:
            - {name: A, valueFrom: {secretKeyRef: {name: s1, key: a}}}
            - {name: B, valueFrom: {secretKeyRef: {name: s1, key: b}}}
            - {name: C, valueFrom: {secretKeyRef: {name: opt, key: c, optional: true}}}
          envFrom:
            - secretRef: {name: s2}
      volumes:
        - {name: certs, secret: {secretName: s3}}
`);
    const refs = secretReferencesOf(objects);
    expect(refs.map((r) => [r.secret, r.keys])).toEqual([
      ['s1', ['a', 'b']],
      ['s2', []],
      ['s3', []],
    ]);
    const have: Record<string, string[]> = { s1: ['a'], s3: ['tls.crt'] };
    expect(missingSecrets(refs, (r) => have[r.secret])).toEqual([
      'Secret s1 in namespace ns has no key b (read by Deployment web container app env A; Deployment web container app env B)',
      'Secret s2 does not exist in namespace ns (read by Deployment web container app envFrom)',
    ]);
  });

  it("puts the version, commit and settings into every Deployment's containers, replacing an entry of the same name", () => {
    const out = parseManifests(withContainerEnv(parseManifests(overlay('staging')), { GIT_SHA: 'abc123', POD_API_URL: 'http://api:3000' }));
    const env = (out.find((o) => o.kind === 'Deployment')!.spec!.template!.spec!.containers![0]!.env ?? []).map((e) => [e.name, e.value ?? 'ref']);
    expect(env).toEqual([
      ['HOST', '0.0.0.0'],
      ['PORT', '3100'],
      ['POD_API_TOKEN', 'ref'],
      ['GIT_SHA', 'abc123'],
      ['POD_API_URL', 'http://api:3000'],
    ]);
    expect(out.find((o) => o.kind === 'Service')).toMatchObject({ metadata: { name: 'mcp-server', namespace: 'pod-staging' } });
  });
});

describe('pods as the API server reports them', () => {
  const pod = (name: string, image: string, extra: Partial<Pod['status']> & { deleting?: boolean } = {}): Pod => ({
    metadata: { name, ...(extra.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { containers: [{ image }] },
    status: { conditions: extra.conditions ?? [{ type: 'Ready', status: 'False' }], containerStatuses: extra.containerStatuses },
  });
  const waiting = (reason: string, message?: string) => ({ containerStatuses: [{ name: 'app', state: { waiting: { reason, message } } }] });

  it('a pod stuck for good is reported with the kubelet reason and message; one still starting is not', () => {
    expect(podProblem([pod('p1', 'i', waiting('ContainerCreating'))])).toBeUndefined();
    expect(podProblem([pod('p1', 'i', waiting('CreateContainerConfigError', 'secret "mcp-server" not found'))])).toBe(
      'pod p1: container app CreateContainerConfigError: secret "mcp-server" not found',
    );
    expect(podProblem([pod('p1', 'i'), pod('p2', 'i', waiting('ImagePullBackOff'))])).toBe('pod p2: container app ImagePullBackOff');
    expect(podProblem([pod('p3', 'i', { ...waiting('CrashLoopBackOff'), deleting: true })])).toBeUndefined();
  });

  it('the pods serving an image are the ready ones running it that are not being deleted', () => {
    const ready = { conditions: [{ type: 'Ready', status: 'True' }] };
    const pods = [
      pod('new', 'img@2', ready),
      pod('old', 'img@1', ready),
      pod('starting', 'img@2'),
      pod('going', 'img@2', { ...ready, deleting: true }),
    ];
    expect(readyPodsOf(pods, 'img@2').map((p) => p.metadata.name)).toEqual(['new']);
  });
});
