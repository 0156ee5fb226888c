import { parseAllDocuments, stringify } from 'yaml';

/** One object of rendered manifests, as much of it as the runtime reads. */
interface KubeObject {
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  spec?: {
    selector?: { matchLabels?: Record<string, string> };
    template?: { spec?: PodSpec };
    strategy?: { type?: string; rollingUpdate?: { maxUnavailable?: number | string } };
  };
}

interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  volumes?: Array<{ name?: string; secret?: { secretName?: string; optional?: boolean } }>;
}

interface Container {
  name?: string;
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name?: string; key?: string; optional?: boolean } } }>;
  envFrom?: Array<{ secretRef?: { name?: string; optional?: boolean } }>;
  ports?: Array<{ name?: string; containerPort?: number }>;
  readinessProbe?: object;
}

/** Pure: the objects of multi-document YAML (as `kubectl kustomize` renders it), empty documents left out. */
export function parseManifests(yaml: string): KubeObject[] {
  return parseAllDocuments(yaml)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => Boolean(o && typeof o === 'object'));
}

/** Pure: the namespaces the objects are placed in (an object without one goes to kubectl's current namespace). */
export function namespacesOf(objects: KubeObject[]): string[] {
  return [...new Set(objects.flatMap((o) => (o.kind !== 'Namespace' && o.metadata?.namespace ? [o.metadata.namespace] : [])))];
}

export interface SecretReference {
  namespace?: string;
  secret: string;
  /** The keys read from it; empty when the whole Secret is used (envFrom, a volume). */
  keys: string[];
  /** Which objects and fields read it, for the message. */
  readBy: string[];
}

/** Pure: the Secrets the workloads read (env secretKeyRef, envFrom secretRef, secret volumes), optional ones left out. */
export function secretReferencesOf(objects: KubeObject[]): SecretReference[] {
  const refs = new Map<string, SecretReference>();
  const add = (namespace: string | undefined, secret: string | undefined, key: string | undefined, readBy: string) => {
    if (!secret) return;
    const id = `${namespace ?? ''}/${secret}`;
    const ref = refs.get(id) ?? { namespace, secret, keys: [], readBy: [] };
    if (key && !ref.keys.includes(key)) ref.keys.push(key);
    if (!ref.readBy.includes(readBy)) ref.readBy.push(readBy);
    refs.set(id, ref);
  };
  for (const o of objects) {
    const pod = o.spec?.template?.spec;
    if (!pod) continue;
    const ns = o.metadata?.namespace;
    const owner = `${o.kind} ${o.metadata?.name}`;
    for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (ref && !ref.optional) add(ns, ref.name, ref.key, `${owner} container ${c.name} env ${e.name}`);
      }
      for (const f of c.envFrom ?? [])
        if (f.secretRef && !f.secretRef.optional) add(ns, f.secretRef.name, undefined, `${owner} container ${c.name} envFrom`);
    }
    for (const v of pod.volumes ?? []) if (v.secret && !v.secret.optional) add(ns, v.secret.secretName, undefined, `${owner} volume ${v.name}`);
  }
  return [...refs.values()];
}

/** Pure: what is missing of the references, given the keys each existing Secret holds (`undefined`: no such Secret). */
export function missingSecrets(refs: SecretReference[], keysOf: (ref: SecretReference) => string[] | undefined): string[] {
  return refs.flatMap((ref) => {
    const where = `${ref.namespace ? `namespace ${ref.namespace}` : 'the current namespace'}`;
    const keys = keysOf(ref);
    if (!keys) return [`Secret ${ref.secret} does not exist in ${where} (read by ${ref.readBy.join('; ')})`];
    const absent = ref.keys.filter((k) => !keys.includes(k));
    return absent.length ? [`Secret ${ref.secret} in ${where} has no key ${absent.join(', ')} (read by ${ref.readBy.join('; ')})`] : [];
  });
}

/**
 * Pure: the manifests with `env` set on every container of every Deployment (an entry of the same
 * name replaced), so each pod reports the version and commit it runs and gets the roll-out's settings.
 */
export function withContainerEnv(objects: KubeObject[], env: Record<string, string>): string {
  const names = Object.keys(env);
  for (const o of objects) {
    if (o.kind !== 'Deployment') continue;
    for (const c of o.spec?.template?.spec?.containers ?? []) {
      c.env = [...(c.env ?? []).filter((e) => !names.includes(e.name)), ...names.map((name) => ({ name, value: env[name]! }))];
    }
  }
  return objects.map((o) => stringify(o)).join('---\n');
}

export interface Workload {
  name: string;
  namespace?: string;
  /** `k=v,k2=v2`, the Deployment's matchLabels: its pods. */
  selector: string;
  /** The first container's first port: where a port-forward reaches the pod's HTTP server. */
  port?: number;
}

/** Pure: the Deployments in the manifests, with what the runtime needs to find and reach their pods. */
export function workloadsOf(objects: KubeObject[]): Workload[] {
  return objects
    .filter((o) => o.kind === 'Deployment' && o.metadata?.name)
    .map((o) => ({
      name: o.metadata!.name!,
      namespace: o.metadata?.namespace,
      selector: Object.entries(o.spec?.selector?.matchLabels ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
      port: o.spec?.template?.spec?.containers?.[0]?.ports?.[0]?.containerPort,
    }));
}

/**
 * Pure: why a Deployment's rolling update could leave no ready pod (what a zero-downtime roll-out
 * needs): `maxUnavailable: 0`, and a readiness probe on each container, so an old pod goes only
 * after a new one answers. Empty when every Deployment has both.
 */
export function rolloutGaps(objects: KubeObject[]): string[] {
  return objects
    .filter((o) => o.kind === 'Deployment')
    .flatMap((o) => {
      const name = o.metadata?.name ?? '(unnamed)';
      const containers = o.spec?.template?.spec?.containers ?? [];
      const unavailable = o.spec?.strategy?.rollingUpdate?.maxUnavailable;
      return [
        ...(o.spec?.strategy?.type !== 'Recreate' && (unavailable === 0 || unavailable === '0' || unavailable === '0%')
          ? []
          : [`Deployment ${name}: spec.strategy.rollingUpdate.maxUnavailable is not 0`]),
        ...(containers.length > 0 && containers.every((c) => c.readinessProbe) ? [] : [`Deployment ${name}: a container has no readinessProbe`]),
      ];
    });
}
