import { createHash, randomInt } from 'node:crypto';
import {
  haproxyCheck,
  haproxyConfig,
  haproxyStart,
  parseServersState,
  routeCommands,
  SLOTS,
  type Slot,
  type SlotRoute,
} from '../commands/haproxy.ts';
import { writePrivateFile } from '../commands/ssh.ts';
import { UserError } from '../core/errors.ts';
import type { Host } from '../core/host.ts';
import type { Logger } from '../core/log.ts';
import { freeLocalPort, listeningPorts, pickFreePort } from '../core/ports.ts';
import { runtimeApi } from './runtime-api.ts';

export type Routes = Partial<Record<Slot, SlotRoute>>;

/** What is remembered of a service's proxy on a host (in the state store): enough to start it again as it was. */
export interface ProxyRecord {
  listen: string;
  dir: string;
  routes: Routes;
}

/** Where a service's proxy lives on a host, and how it is reached and remembered. */
export interface ProxyPlace {
  host: Host;
  /** The service's name, for messages. */
  service: string;
  /** The HAProxy program on that host. */
  haproxy: string;
  /** Its folder there (absolute): configuration, PID file, runtime API socket. */
  dir: string;
  /** Where people's requests arrive: `127.0.0.1:3000`, or `:3200` on a server. */
  listen: string;
  cookie: string;
  read(): Promise<Partial<ProxyRecord>>;
  write(record: ProxyRecord): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The longest unix socket path HAProxy accepts for its runtime API (`stats socket`). */
const SOCKET_PATH_MAX = 97;

/**
 * Pure: where a proxy's runtime API listens: in its folder, unless that path is too long for a unix
 * socket (a deep workspace, e.g. a CI runner's); then a short path in /tmp named by the folder's
 * hash, the same at every deploy so the next one finds the running proxy.
 */
export function runtimeApiSocket(dir: string): string {
  const inFolder = `${dir}/api.sock`;
  if (inFolder.length <= SOCKET_PATH_MAX) return inFolder;
  return `/tmp/nx-deploy-proxy-${createHash('sha256').update(dir).digest('hex').slice(0, 16)}.sock`;
}

/** HAProxy's reason for refusing a configuration: its first alert, without the file and line prefix. */
function firstAlert(output: string): string {
  const alert = output.split('\n').find((l) => l.includes('[ALERT]'));
  return (alert ?? output.trim().split('\n').at(-1) ?? '').replace(/^.*\] : (?:.*\] : )?/, '').trim();
}
const where = (p: ProxyPlace) => (p.host.remote ? ` on ${p.host.label}` : '');
const describeRoutes = (r: Routes) =>
  SLOTS.filter((s) => r[s])
    .map((s) => `${s} → 127.0.0.1:${r[s]!.port} weight ${r[s]!.weight}`)
    .join(', ') || 'no version yet';

/**
 * A service's reverse proxy on one host (HAProxy, one process per service and environment): the
 * service's public address is its listener, each version sits in one of two slots on a private
 * port, and traffic moves between them through the runtime API, never a reload.
 */
export class ServiceProxy {
  private readonly p: ProxyPlace;

  constructor(place: ProxyPlace) {
    this.p = place;
  }

  private get socket(): string {
    return runtimeApiSocket(this.p.dir);
  }

  /** The routes as the running proxy has them, or undefined when no proxy answers. */
  async routes(): Promise<Routes | undefined> {
    const endpoint = await this.p.host.reach({ socket: this.socket });
    const answer = await runtimeApi(endpoint, ['show servers state versions']).catch(() => '');
    // Through a forward, a socket nobody listens on is an empty answer, not a refusal.
    return answer.includes('# be_id') ? parseServersState(answer) : undefined;
  }

  /**
   * The proxy answering, whatever happened since the last deploy: adopted when it runs, started
   * (again, with the routes the store remembers) when it does not. Says which.
   */
  async ensure(log: Logger): Promise<void> {
    const running = await this.routes();
    const record = await this.p.read();
    if (running) {
      log.info(`proxy of ${this.p.service}${where(this.p)} is running (${describeRoutes(running)}): adopted`);
      return;
    }
    const routes = record.routes ?? {};
    await this.start(routes);
    log.info(
      record.routes
        ? `proxy of ${this.p.service}${where(this.p)} was not running: started again on ${this.p.listen} with its routes (${describeRoutes(routes)})`
        : `proxy of ${this.p.service}${where(this.p)} started on ${this.p.listen} (HAProxy, runtime API ${this.socket})`,
    );
  }

  private async start(routes: Routes): Promise<void> {
    const cfg = `${this.p.dir}/haproxy.cfg`;
    const text = haproxyConfig({ listen: this.p.listen, socket: this.socket, cookie: this.p.cookie, slots: routes });
    await this.p.host.run(writePrivateFile(cfg, text), { quiet: true });
    const check = await this.p.host.run(haproxyCheck(this.p.haproxy, cfg), { quiet: true, allowFailure: true });
    if (check.exitCode !== 0)
      throw new UserError(
        `${this.p.service}: HAProxy${where(this.p)} refused its configuration (${cfg}): ${firstAlert(`${check.stderr}\n${check.stdout}`)}`,
      );
    const started = await this.p.host.run(haproxyStart(this.p.haproxy, cfg, `${this.p.dir}/haproxy.pid`), { allowFailure: true });
    if (started.exitCode !== 0) {
      const why = (started.stderr || started.stdout).trim().split('\n').at(-1) ?? `exit ${started.exitCode}`;
      throw new UserError(
        `${this.p.service}: the proxy${where(this.p)} could not start on ${this.p.listen}: ${why}` +
          (/bind|address already in use/i.test(why) ? '. Something else holds that address: stop it, or give the service another URL' : ''),
      );
    }
    for (let i = 0; i < 50 && !(await this.routes()); i++) await sleep(100);
    if (!(await this.routes()))
      throw new UserError(`${this.p.service}: the proxy${where(this.p)} started but its runtime API (${this.socket}) does not answer`);
    await this.p.write({ listen: this.p.listen, dir: this.p.dir, routes });
  }

  /**
   * Routes traffic: each slot to its version's private port with a weight, 0 (or none) taking it
   * out. The slot gaining traffic is switched on before the one losing it is taken out, so there is
   * never a moment with nothing to send to; requests already on their way finish where they are.
   */
  async route(routes: Routes): Promise<void> {
    const endpoint = await this.p.host.reach({ socket: this.socket });
    const gaining = SLOTS.filter((s) => (routes[s]?.weight ?? 0) > 0);
    const losing = SLOTS.filter((s) => !gaining.includes(s));
    const commands = [...gaining.flatMap((s) => routeCommands(s, routes[s])), ...losing.flatMap((s) => routeCommands(s, routes[s]))];
    await runtimeApi(endpoint, commands);
    const now = await this.routes();
    const wrong = SLOTS.filter(
      (s) => (now?.[s]?.weight ?? 0) !== (routes[s]?.weight ?? 0) || ((routes[s]?.weight ?? 0) > 0 && now?.[s]?.port !== routes[s]?.port),
    );
    if (!now || wrong.length)
      throw new UserError(
        `${this.p.service}: the proxy${where(this.p)} did not take the routes (${describeRoutes(routes)}); it has ${now ? describeRoutes(now) : 'stopped answering'}`,
      );
    const record = await this.p.read();
    await this.p.write({ listen: this.p.listen, dir: this.p.dir, routes: { ...record.routes, ...routes } });
  }

  /** Stops the proxy (the runtime API stops answering); what the store remembers stays for a later start. */
  async stop(): Promise<boolean> {
    if (!(await this.routes())) return false;
    await this.p.host.run({ argv: ['sh', '-c', 'kill "$(cat "$1")"', 'sh', `${this.p.dir}/haproxy.pid`] }, { quiet: true, allowFailure: true });
    for (let i = 0; i < 50 && (await this.routes()); i++) await sleep(100);
    return true;
  }
}

/** A private port free on a host now: the kernel's pick here, a free one by /proc/net/tcp on a server. */
export async function freePortOn(host: Host): Promise<number> {
  if (!host.remote) return freeLocalPort();
  const res = await host.run({ argv: ['cat', '/proc/net/tcp', '/proc/net/tcp6'] }, { quiet: true, allowFailure: true });
  return pickFreePort(listeningPorts(res.stdout), randomInt(0, 12_768));
}
