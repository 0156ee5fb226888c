// The kustomize overlays render what each environment needs (kubectl's built-in kustomize, offline).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec: Record<string, any>;
}

function render(overlay: string): Manifest[] {
  const dir = fileURLToPath(new URL(`../k8s/overlays/${overlay}`, import.meta.url));
  let output: string;
  try {
    output = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    throw new Error(`kubectl kustomize ${dir} failed (is kubectl on PATH?): ${stderr || message}`);
  }
  return parseAllDocuments(output).map((doc) => doc.toJS() as Manifest);
}

describe.each([
  { overlay: 'staging', namespace: 'pod-staging', replicas: 1 },
  { overlay: 'production', namespace: 'pod-production', replicas: 2 },
])('k8s/overlays/$overlay', ({ overlay, namespace, replicas }) => {
  const manifests = render(overlay);
  const deployment = manifests.find((m) => m.kind === 'Deployment')!;
  const container = deployment.spec.template.spec.containers[0];
  const env = Object.fromEntries((container.env as { name: string; value?: string }[]).map((e) => [e.name, e.value]));

  it(`puts everything in ${namespace}`, () => {
    expect(manifests.map((m) => `${m.kind}/${m.metadata.name}`).sort()).toEqual(['Deployment/mcp-server', 'Service/mcp-server']);
    for (const m of manifests) expect(m.metadata.namespace).toBe(namespace);
  });

  it(`runs ${replicas} replica(s) of pod-protocol/mcp-server`, () => {
    expect(deployment.spec.replicas).toBe(replicas);
    expect(container.image).toMatch(/^pod-protocol\/mcp-server:[\w.-]+$/);
  });

  it(`points POD_API_URL at the ${namespace} API and listens on 0.0.0.0:3100`, () => {
    expect(env.POD_API_URL).toBe(`http://api-server.${namespace}.svc.cluster.local:3000`);
    expect(env).toMatchObject({ HOST: '0.0.0.0', PORT: '3100' });
  });

  it('probes /health on the container port and the Service selects the pods', () => {
    expect(container.readinessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(container.ports).toEqual([{ name: 'http', containerPort: 3100 }]);
    const service = manifests.find((m) => m.kind === 'Service')!;
    expect(deployment.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    expect(deployment.spec.selector.matchLabels).toEqual(service.spec.selector);
  });
});
