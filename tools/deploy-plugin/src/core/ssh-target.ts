/** A server as deploy.json names it, resolved: who to log in as, where, and the name people know it by. */
export interface SshTarget {
  /** The login user; undefined leaves it to ssh (the runner's user, or ~/.ssh/config). */
  user?: string;
  /** A host name or an IP address (IPv6 without brackets). */
  host: string;
  port: number;
  /** As written in deploy.json: messages, the ledger and state keys name the server by it. */
  label: string;
}

const USER = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;
const IPV6 = /^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$/;

/**
 * Pure: `host`, `user@host`, or `ssh://[user@]host[:port]` (IPv6 in brackets there) into a target;
 * `defaults` fill what the string leaves out. Throws an Error saying what is wrong: a host that could
 * be read as an ssh option (`-oProxyCommand=...`) or that carries shell characters never passes.
 */
export function parseServer(spec: string, defaults: { user?: string; port?: number } = {}): SshTarget {
  let user: string | undefined;
  let host: string;
  let port: number | undefined;
  if (spec.startsWith('ssh://')) {
    const m = /^ssh:\/\/(?:([^@/]+)@)?(\[[^\]]+\]|[^:/@]+)(?::(\d+))?\/?$/.exec(spec);
    if (!m) throw new Error(`'${spec}' is not ssh://[user@]host[:port]`);
    [user, host, port] = [m[1], m[2]!.replace(/^\[(.*)\]$/, '$1'), m[3] === undefined ? undefined : Number(m[3])];
  } else {
    const at = spec.lastIndexOf('@');
    [user, host] = at >= 0 ? [spec.slice(0, at), spec.slice(at + 1)] : [undefined, spec];
  }
  if (user !== undefined && !USER.test(user)) throw new Error(`'${spec}': '${user}' is not a user name`);
  if (!HOST_NAME.test(host) && !IPV6.test(host))
    throw new Error(`'${spec}': '${host}' is not a host name or IP address (write ssh://user@host:port to give a port)`);
  port ??= defaults.port ?? 22;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`'${spec}': port ${port} is not between 1 and 65535`);
  return { user: user ?? defaults.user, host, port, label: spec };
}

/** The host as it goes in a URL: IPv6 addresses in brackets. */
export function urlHost(target: SshTarget): string {
  return target.host.includes(':') ? `[${target.host}]` : target.host;
}
