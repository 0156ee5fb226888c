import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { runtimeOf } from '../config/environments.ts';
import { RUNTIME_KINDS } from '../config/runtime-kinds.ts';
import { UserError } from '../core/errors.ts';
import { findExecutable } from '../core/executables.ts';
import type { Host } from '../core/host.ts';
import { fileSafeName, nameSlug } from '../core/names.ts';
import { ServiceProxy, type ProxyRecord } from '../proxy/service-proxy.ts';
import { ServiceState } from '../store/service-state.ts';
import type { RuntimeContext } from './runtime.ts';
import type { Environment } from '../config/environments.ts';
import type { BlobStore } from '../store/state-store.ts';

/** How a deploy meets the traffic layer: required, tried, or never (deploy.json `proxy.mode`, defaulted). */
export function proxyMode(ctx: Pick<RuntimeContext, 'env' | 'project'>): 'required' | 'auto' | 'off' {
  if (!RUNTIME_KINDS[runtimeOf(ctx.env, ctx.project.name)].behindProxy) return 'off';
  return ctx.env.proxy?.mode ?? (ctx.env.approval.required ? 'required' : 'auto');
}

const decided = new Map<string, Promise<ServiceProxy | undefined>>();

/** Whether the HAProxy program can run where the service runs. */
async function installed(host: Host, haproxy: string, environ: NodeJS.ProcessEnv): Promise<boolean> {
  if (!host.remote) return isAbsolute(haproxy) ? existsSync(haproxy) : Boolean(findExecutable([haproxy], environ));
  return (await host.run({ argv: ['sh', '-c', 'command -v "$1" >/dev/null', 'sh', haproxy] }, { quiet: true, allowFailure: true })).exitCode === 0;
}

/**
 * The service's proxy on a host, or undefined when its versions are not put behind one here (the
 * runtime replaces the running version on the service's port, as without a proxy). Decided once per
 * deploy and host; `auto` without HAProxy says so once, `required` without it stops the deploy.
 * `publicUrl` is where people's requests arrive on that host.
 */
export function proxyFor(ctx: RuntimeContext, host: Host, publicUrl: string): Promise<ServiceProxy | undefined> {
  const key = `${ctx.deployId}\n${ctx.project.name}\n${host.label}`;
  let pending = decided.get(key);
  if (!pending) {
    pending = decide(ctx, host, publicUrl);
    decided.set(key, pending);
  }
  return pending;
}

async function decide(ctx: RuntimeContext, host: Host, publicUrl: string): Promise<ServiceProxy | undefined> {
  const mode = proxyMode(ctx);
  if (mode === 'off') return undefined;
  const settings = ctx.env.proxy ?? { haproxy: 'haproxy', keepPreviousWarm: 'window' as const };
  const where = host.remote ? ` on ${host.label}` : ' on this machine';
  const field = `environments.${ctx.envName}.proxy`;
  const url = new URL(publicUrl);
  const problem =
    url.protocol !== 'http:'
      ? `the proxy speaks plain HTTP and ${ctx.project.name} answers at ${publicUrl}: put TLS in front of it (a load balancer) and give the service an http:// URL there`
      : !(await installed(host, settings.haproxy, ctx.environ))
        ? `HAProxy (${settings.haproxy}) is not installed${where}: install it (Debian/Ubuntu: apt install haproxy, 2.4 or newer), or name it in ${field}.haproxy`
        : undefined;
  if (problem && mode === 'required') throw new UserError(`${ctx.project.name}: ${problem}; ${field}.mode is required, so nothing was changed`);
  if (problem) {
    ctx.log.warn(
      `${problem}. Without the proxy the new version replaces the old on ${url.host} (requests are refused while it starts); ${field}.mode: off silences this`,
    );
    return undefined;
  }
  return serviceProxyAt({ envName: ctx.envName, env: ctx.env, project: ctx.project.name, stateDir: ctx.stateDir, blobs: ctx.blobs }, host, publicUrl);
}

/** A service's proxy on a host, whether it runs or not (its folder, address, cookie and remembered routes). */
export async function serviceProxyAt(
  c: { envName: string; env: Environment; project: string; stateDir: string; blobs: BlobStore },
  host: Host,
  publicUrl: string,
): Promise<ServiceProxy> {
  const url = new URL(publicUrl);
  const folder = join('proxy', c.envName, fileSafeName(c.project));
  const dir = host.remote ? `${(await host.run({ argv: ['pwd'] }, { quiet: true })).stdout.trim()}/.nx-deploy/${folder}` : join(c.stateDir, folder);
  const state = new ServiceState<ProxyRecord>(c.blobs, c.envName, c.project, 'proxy', host.remote ? host.label : undefined);
  const strategy = c.env.services[c.project]?.strategy;
  const at = (place: string) =>
    new ServiceProxy({
      host,
      service: c.project,
      haproxy: c.env.proxy?.haproxy ?? 'haproxy',
      dir: place,
      listen: host.remote ? `:${url.port || 80}` : `${url.hostname}:${url.port || 80}`,
      cookie: strategy?.canary.cookie ?? `nxd_${nameSlug(c.project).replace(/[^a-z0-9]+/g, '_')}`,
      read: () => state.read(),
      write: (record) => state.write(record),
    });
  // Another checkout sharing the state store (a second runner on this machine) may have started
  // it: the proxy found where the store says it runs is the one to adopt.
  const recorded = (await state.read()).dir;
  if (recorded && recorded !== dir && (await at(recorded).routes())) return at(recorded);
  return at(dir);
}
