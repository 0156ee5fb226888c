import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A DOUBLE of the Kubernetes API server (none can run here: no kube-apiserver, no kind/k3d),
 * speaking enough of its protocol for the real kubectl's `apply` (client-side: GET, then POST or
 * a strategic-merge PATCH) and `rollout status` (LIST, then WATCH) on Deployments, Services and
 * ConfigMaps. It has no OpenAPI (so kubectl apply runs with --validate=false), no controllers
 * and no scheduler: `onDeployment` plays the kubelet — the test starts the pod's container and
 * calls `markAvailable` when it answers. Discovery, object and error shapes follow the real API.
 */
export interface KubeDouble {
  url: string;
  /** A kubeconfig file pointing kubectl at the double. */
  kubeconfig: string;
  objects(): Array<Record<string, any>>;
  deployment(namespace: string, name: string): Record<string, any> | undefined;
  /** Sets a Deployment's status as a controller would once all its pods are available. */
  markAvailable(namespace: string, name: string): void;
  stop(): Promise<void>;
}

type Obj = Record<string, any>;

const RESOURCES: Record<string, { group: string; version: string; kind: string; namespaced: boolean; shortNames?: string[] }> = {
  deployments: { group: 'apps', version: 'v1', kind: 'Deployment', namespaced: true, shortNames: ['deploy'] },
  replicasets: { group: 'apps', version: 'v1', kind: 'ReplicaSet', namespaced: true, shortNames: ['rs'] },
  services: { group: '', version: 'v1', kind: 'Service', namespaced: true, shortNames: ['svc'] },
  configmaps: { group: '', version: 'v1', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'] },
  secrets: { group: '', version: 'v1', kind: 'Secret', namespaced: true },
  namespaces: { group: '', version: 'v1', kind: 'Namespace', namespaced: false, shortNames: ['ns'] },
};
const VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

function resourceList(group: string, version: string) {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources: Object.entries(RESOURCES)
      .filter(([, r]) => r.group === group)
      .map(([name, r]) => ({
        name,
        singularName: r.kind.toLowerCase(),
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: VERBS,
        shortNames: r.shortNames,
      })),
  };
}

/** Strategic merge, as far as manifests of this project need: lists of named items merge by name. */
function merge(target: any, patch: any): any {
  if (Array.isArray(patch)) {
    if (!Array.isArray(target) || !patch.every((p) => p && typeof p === 'object' && 'name' in p)) return patch;
    return patch.map((p) => merge(target.find((t: Obj) => t?.name === p.name) ?? {}, p));
  }
  if (!patch || typeof patch !== 'object') return patch;
  const out: Obj = { ...(target && typeof target === 'object' && !Array.isArray(target) ? target : {}) };
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue; // $setElementOrder, $patch, $retainKeys directives
    if (v === null) delete out[k];
    else out[k] = merge(out[k], v);
  }
  return out;
}

export async function startKubeApiServerDouble(options: { onDeployment?: (deployment: Obj) => void } = {}): Promise<KubeDouble> {
  const store = new Map<string, Obj>(); // key: resource/namespace/name
  const watchers = new Set<{ resource: string; namespace: string; name?: string; res: ServerResponse }>();
  let resourceVersion = 1;

  const status = (res: ServerResponse, code: number, reason: string, message: string) =>
    send(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
  const send = (res: ServerResponse, code: number, body: unknown) => {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const notify = (type: 'ADDED' | 'MODIFIED', resource: string, obj: Obj) => {
    for (const w of watchers) {
      if (w.resource === resource && w.namespace === obj.metadata.namespace && (!w.name || w.name === obj.metadata.name)) {
        w.res.write(`${JSON.stringify({ type, object: obj })}\n`);
      }
    }
  };
  const save = (resource: string, obj: Obj, type: 'ADDED' | 'MODIFIED') => {
    obj.metadata.resourceVersion = String(++resourceVersion);
    store.set(`${resource}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`, obj);
    notify(type, resource, obj);
    if (resource === 'deployments') options.onDeployment?.(structuredClone(obj));
  };

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://double');
    const body = await new Promise<string>((resolve) => {
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => resolve(data));
    });
    const path = url.pathname.replace(/\/$/, '');
    if (path === '/version') return send(res, 200, { major: '1', minor: '32', gitVersion: 'v1.32.4', platform: 'linux/amd64' });
    if (path === '/api') return send(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
    if (path === '/apis') {
      return send(res, 200, {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: [
          { name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } },
        ],
      });
    }
    if (path === '/api/v1') return send(res, 200, resourceList('', 'v1'));
    if (path === '/apis/apps/v1') return send(res, 200, resourceList('apps', 'v1'));
    const m = /^\/(?:api\/v1|apis\/(apps)\/v1)(?:\/namespaces\/([^/]+))?\/([a-z]+)(?:\/([^/]+))?(?:\/(status))?$/.exec(path);
    if (!m) return status(res, 404, 'NotFound', `the server could not find the requested resource (${req.method} ${path})`);
    const [, , namespace = '', resource, name] = m as unknown as [string, string, string, string, string | undefined];
    const spec = RESOURCES[resource];
    if (!spec) return status(res, 404, 'NotFound', `the server could not find the requested resource`);
    const key = `${resource}/${namespace}/${name}`;
    const kindList = `${spec.kind}List`;
    const apiVersion = spec.group ? `${spec.group}/${spec.version}` : spec.version;

    if (req.method === 'GET' && !name) {
      const selector = /metadata\.name=([^,]+)/.exec(url.searchParams.get('fieldSelector') ?? '')?.[1];
      const items = [...store.entries()]
        .filter(([k, o]) => k.startsWith(`${resource}/${namespace}/`) && (!selector || o.metadata.name === selector))
        .map(([, o]) => o);
      if (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1') {
        res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
        const w = { resource, namespace, name: selector, res };
        watchers.add(w);
        req.on('close', () => watchers.delete(w));
        return;
      }
      return send(res, 200, { kind: kindList, apiVersion, metadata: { resourceVersion: String(resourceVersion) }, items });
    }
    if (req.method === 'GET') {
      const obj = store.get(key);
      return obj ? send(res, 200, obj) : status(res, 404, 'NotFound', `${resource}.${spec.group || 'core'} "${name}" not found`);
    }
    if (req.method === 'POST' && !name) {
      const obj = JSON.parse(body) as Obj;
      obj.metadata ??= {};
      obj.metadata.namespace = namespace || obj.metadata.namespace;
      const k = `${resource}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
      if (store.has(k)) return status(res, 409, 'AlreadyExists', `${resource} "${obj.metadata.name}" already exists`);
      Object.assign(obj.metadata, { uid: `uid-${resourceVersion}`, generation: 1, creationTimestamp: new Date().toISOString() });
      if (resource === 'deployments') obj.status = { observedGeneration: 0 };
      save(resource, obj, 'ADDED');
      return send(res, 201, obj);
    }
    if (req.method === 'PATCH' && name) {
      const current = store.get(key);
      if (!current) return status(res, 404, 'NotFound', `${resource} "${name}" not found`);
      const patched = merge(current, JSON.parse(body));
      if (JSON.stringify(patched.spec) !== JSON.stringify(current.spec)) patched.metadata.generation = (current.metadata.generation ?? 1) + 1;
      save(resource, patched, 'MODIFIED');
      return send(res, 200, patched);
    }
    return status(res, 405, 'MethodNotAllowed', `${req.method} is not supported by this double`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = mkdtempSync(join(tmpdir(), 'pod-kube-double-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: double, cluster: {server: "' + url + '"}}]',
      'users: [{name: double, user: {token: double-token}}]',
      'contexts: [{name: double, context: {cluster: double, user: double}}]',
      'current-context: double',
      '',
    ].join('\n'),
  );
  return {
    url,
    kubeconfig,
    objects: () => [...store.values()],
    deployment: (ns, name) => store.get(`deployments/${ns}/${name}`),
    markAvailable: (ns, name) => {
      const d = store.get(`deployments/${ns}/${name}`);
      if (!d) return;
      const replicas = d.spec?.replicas ?? 1;
      d.status = {
        observedGeneration: d.metadata.generation,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
        conditions: [
          { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
          { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' },
        ],
      };
      save('deployments', d, 'MODIFIED');
    },
    stop: async () => {
      for (const w of watchers) w.res.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
