import { poll } from '../core/poll.ts';
import { kubectlGetJson, kubectlPortForward, kubectlRolloutStatus } from '../commands/kubectl.ts';
import { UserError } from '../core/errors.ts';
import { freeLocalPort } from '../core/ports.ts';
import type { HealthCheck } from '../config/services.ts';
import { waitHealthy, type Identity } from './health.ts';
import type { Workload } from './kubernetes-manifests.ts';
import type { RuntimeContext } from './runtime.ts';

interface ContainerStatus {
  name: string;
  state?: { waiting?: { reason?: string; message?: string } };
}

export interface Pod {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { containers: Array<{ image: string }> };
  status?: { conditions?: Array<{ type: string; status: string }>; containerStatuses?: ContainerStatus[]; initContainerStatuses?: ContainerStatus[] };
}

/** Waiting reasons that do not go away by waiting: the image cannot be pulled, the container not configured, or it keeps crashing. */
const STUCK = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'ErrImageNeverPull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
  'CrashLoopBackOff',
]);

/** Pure: the first pod stuck for good (`pod x: container y ImagePullBackOff: <the kubelet's message>`), or undefined. */
export function podProblem(pods: Pod[]): string | undefined {
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp) continue;
    for (const c of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
      const waiting = c.state?.waiting;
      if (waiting?.reason && STUCK.has(waiting.reason))
        return `pod ${pod.metadata.name}: container ${c.name} ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`;
    }
  }
  return undefined;
}

/** Pure: the pods that serve `image` now (ready, not being deleted). */
export function readyPodsOf(pods: Pod[], image: string): Pod[] {
  return pods.filter(
    (p) =>
      !p.metadata.deletionTimestamp &&
      p.spec.containers[0]?.image === image &&
      p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  );
}

async function podsOf(w: Workload, ctx: RuntimeContext): Promise<Pod[]> {
  const res = await ctx.runner.run(kubectlGetJson('pods', { namespace: w.namespace, selector: w.selector }), { quiet: true });
  return (JSON.parse(res.stdout) as { items: Pod[] }).items;
}

/**
 * `kubectl rollout status` with the timeout, while the Deployment's pods are looked at every second:
 * a pod stuck for good (its image cannot be pulled, a Secret it reads is missing, it crash-loops)
 * ends the wait at once with the kubelet's own reason, instead of at the timeout.
 */
export async function waitRolledOut(w: Workload, timeoutMs: number, ctx: RuntimeContext): Promise<void> {
  const done = new AbortController();
  let problem: string | undefined;
  // Every second until `rollout status` ends (its own timeout is the deadline): a pod stuck for good ends it.
  const watching = poll(
    async () => {
      problem = podProblem(await podsOf(w, ctx).catch(() => []));
      if (problem) done.abort(problem);
      return problem ? { value: problem } : 'rolling out';
    },
    { deadlineMs: timeoutMs, intervalMs: 1_000, signal: done.signal },
  ).catch(() => undefined);
  try {
    await ctx.runner.run(kubectlRolloutStatus(w, timeoutMs), { signal: done.signal });
  } catch (err) {
    if (problem) throw new UserError(`Deployment ${w.name}: ${problem}`);
    throw err;
  } finally {
    done.abort('rolled out');
    await watching;
  }
}

/**
 * Each ready pod running `image` answers its health check, reached through a port-forward this
 * runtime owns (through the API server, as from any machine kubectl works on: no route into the
 * cluster's network is needed) and reporting `expect`. Returns the pod smoke tests and verification
 * go to, its port-forward kept open until this process ends; or why not.
 */
export async function podsHealthy(
  w: Workload,
  image: string,
  health: HealthCheck,
  expect: Identity | undefined,
  ctx: RuntimeContext,
): Promise<{ url: string } | { problem: string }> {
  if (!w.port) return { problem: `Deployment ${w.name} declares no containerPort on its first container: its health check cannot be reached` };
  const pods = readyPodsOf(await podsOf(w, ctx), image);
  if (!pods.length) return { problem: `no ready pod of Deployment ${w.name} runs ${image}` };
  let kept: string | undefined;
  for (const [i, pod] of pods.entries()) {
    const forward = await portForward(pod.metadata.name, w, ctx);
    const why = await waitHealthy({
      url: `${forward.url}${health.path}`,
      ok: health.ok,
      deadlineMs: 20_000,
      expect,
      gone: forward.gone,
      signal: ctx.signal,
    });
    if (why || i > 0) forward.stop();
    if (why) return { problem: `pod ${pod.metadata.name}: ${why}` };
    if (i === 0) kept = forward.url;
    ctx.log.info(`pod ${pod.metadata.name} answers ${health.path}${expect?.version ? ` as ${expect.version}` : ''}`);
  }
  return { url: kept! };
}

/** A port of this machine's loopback forwarded to the pod's port, by kubectl running beside the deploy. */
async function portForward(
  pod: string,
  w: Workload,
  ctx: RuntimeContext,
): Promise<{ url: string; gone: () => Promise<string | undefined>; stop(): void }> {
  const port = await freeLocalPort();
  const forward = ctx.runner.background(kubectlPortForward({ name: pod, namespace: w.namespace }, port, w.port!));
  let ended: string | undefined;
  void forward.ended.then((r) => {
    ended = `kubectl port-forward ended (exit code ${r.exitCode}${r.stderr.trim() ? `: ${r.stderr.trim().split('\n').at(-1)}` : ''})`;
  });
  return { url: `http://127.0.0.1:${port}`, gone: async () => ended, stop: forward.stop };
}
