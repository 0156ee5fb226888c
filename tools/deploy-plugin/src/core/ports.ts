import { createServer, type AddressInfo } from 'node:net';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { commandLineOf } from './processes.ts';

export interface PortHolder {
  pid: number;
  command: string;
}

/** Inodes of the sockets listening on `port` (any address), from /proc/net/tcp and tcp6. */
function listeningInodes(port: number): Set<string> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address is ADDR:PORT in hex; state 0A is LISTEN; column 9 is the inode.
      if (cols[1]?.endsWith(`:${hex}`) && cols[3] === '0A' && cols[9] && cols[9] !== '0') inodes.add(cols[9]);
    }
  }
  return inodes;
}

/**
 * The process listening on a TCP port, found the way `ss -p` does (Linux /proc): the socket's
 * inode, then the process holding a descriptor to it. Undefined when nothing listens or the
 * holder cannot be seen (another user's process without privileges, or no /proc).
 */
export function portHolder(port: number): PortHolder | undefined {
  const inodes = listeningInodes(port);
  if (!inodes.size) return undefined;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode && inodes.has(inode)) {
        return { pid: Number(pid), command: (commandLineOf(Number(pid)) ?? ['?']).join(' ') };
      }
    }
  }
  return undefined;
}

/** "port 3000 is held by pid 1234 (node server.js)", for error messages. */
export function describeHolder(port: number, holder: PortHolder | undefined): string {
  return holder ? `port ${port} is held by pid ${holder.pid} (${holder.command})` : `port ${port} is in use`;
}

/** A TCP port free on 127.0.0.1 right now (the OS picks it). */
export function freeLocalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Pure: the TCP ports listening in /proc/net/tcp and tcp6 text (any address). */
export function listeningPorts(procNetTcp: string): Set<number> {
  const ports = new Set<number>();
  for (const line of procNetTcp.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols[3] === '0A' && /:[0-9A-F]{4}$/i.test(cols[1] ?? '')) ports.add(parseInt(cols[1]!.slice(-4), 16));
  }
  return ports;
}

/** Pure: a port in [from, to) none of `taken` uses, starting at `seed` (a random place) and wrapping. */
export function pickFreePort(taken: Set<number>, seed: number, from = 20_000, to = 32_768): number {
  const size = to - from;
  for (let i = 0; i < size; i++) {
    const port = from + ((seed + i) % size);
    if (!taken.has(port)) return port;
  }
  throw new Error(`no free port in ${from}-${to - 1}`);
}
