import type { Command } from '../core/run.ts';

/** The two places a service's versions take turns in behind its proxy. */
export type Slot = 'a' | 'b';
export const SLOTS: Slot[] = ['a', 'b'];

/** A version behind the proxy: its private port (loopback of the host) and its share of requests (0: none). */
export interface SlotRoute {
  port: number;
  weight: number;
}

export interface ProxyLayout {
  /** Where people's requests arrive: `127.0.0.1:3000`, or `:3200` (every interface of a server). */
  listen: string;
  /** The runtime API's unix socket. */
  socket: string;
  /** Keeps a browser on the version it first got. */
  cookie: string;
  slots: Partial<Record<Slot, SlotRoute>>;
}

/**
 * Pure: HAProxy's configuration for one service: one frontend on the service's public address, one
 * backend with two slots. A slot with no version points at port 1 and is in maintenance; its address,
 * weight and state change later through the runtime API, without a reload, so no connection is ever
 * dropped by a switch (a reload closes idle keep-alive connections: see README). A request whose
 * version refuses the connection is sent to the other one (retries, redispatch).
 */
export function haproxyConfig(l: ProxyLayout): string {
  const server = (slot: Slot) => {
    const r = l.slots[slot];
    return `  server ${slot} 127.0.0.1:${r?.port ?? 1} weight ${r?.weight ?? 0} cookie ${slot}${r && r.weight > 0 ? '' : ' disabled'}`;
  };
  return [
    '# Written by nx-deploy; traffic changes go through the runtime API (the stats socket below).',
    'global',
    `  stats socket ${l.socket} mode 600 level admin`,
    '  stats timeout 30s',
    'defaults',
    '  mode http',
    // The versions see the client's address in X-Forwarded-For (their own peer is this proxy).
    '  option forwardfor',
    '  timeout connect 5s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  timeout http-request 10s',
    '  timeout http-keep-alive 10s',
    '  retries 3',
    '  option redispatch',
    'frontend public',
    `  bind ${l.listen}`,
    '  default_backend versions',
    'backend versions',
    '  balance roundrobin',
    `  cookie ${l.cookie} insert indirect nocache httponly`,
    server('a'),
    server('b'),
    '',
  ].join('\n');
}

/** Starts HAProxy in the background (it forks and returns); its PID goes to `pidFile`. */
export function haproxyStart(haproxy: string, configFile: string, pidFile: string): Command {
  return { argv: [haproxy, '-D', '-f', configFile, '-p', pidFile], timeoutMs: 15_000 };
}

/** Checks a configuration without running it. */
export function haproxyCheck(haproxy: string, configFile: string): Command {
  return { argv: [haproxy, '-c', '-q', '-f', configFile], timeoutMs: 15_000 };
}

/** Pure: the runtime API commands (one line) that route a slot: its address, weight and whether it gets requests. */
export function routeCommands(slot: Slot, route: SlotRoute | undefined): string[] {
  if (!route || route.weight === 0) return [`set server versions/${slot} state maint`];
  return [
    `set server versions/${slot} addr 127.0.0.1 port ${route.port}`,
    `set weight versions/${slot} ${route.weight}`,
    `set server versions/${slot} state ready`,
  ];
}

/**
 * Pure: the slots as the proxy serves them now, from `show servers state versions`: the port of
 * each, and its weight, or 0 when it is in maintenance.
 */
export function parseServersState(text: string): Partial<Record<Slot, SlotRoute>> {
  const out: Partial<Record<Slot, SlotRoute>> = {};
  const lines = text.split('\n').filter((l) => l.trim() && !l.startsWith('#') && !/^\d+$/.test(l.trim()));
  for (const line of lines) {
    // be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight ... srv_port (column 19)
    const cols = line.trim().split(/\s+/);
    const [name, opState, weight, port] = [cols[3], Number(cols[5]), Number(cols[7]), Number(cols[18])];
    if (name !== 'a' && name !== 'b') continue;
    // Only a running server (operational state 2) gets requests; in maintenance it is stopped (0).
    out[name] = { port, weight: opState === 2 ? weight : 0 };
  }
  return out;
}
