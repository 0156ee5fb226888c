import { probe, requestFailure } from '../core/http.ts';
import { poll } from '../core/poll.ts';
import { describeHolder, portHolder } from '../core/ports.ts';
import { descendsFrom } from '../core/processes.ts';

/** What a health answer must report about itself, when it reports it: the version just started. */
export interface Identity {
  version?: string;
  gitSha?: string;
}

/**
 * Pure: why a health answer is not from `expected` (it reports another version or commit), or
 * undefined when it matches or does not say. Services that report neither are judged by their
 * process alone.
 */
export function identityMismatch(body: string, expected: Identity): string | undefined {
  let reported: Record<string, unknown>;
  try {
    const parsed = JSON.parse(body) as unknown;
    if (!parsed || typeof parsed !== 'object') return undefined;
    reported = parsed as Record<string, unknown>;
  } catch {
    return undefined;
  }
  // 'unknown' (no git at build or deploy time) tells nothing either way.
  const differs = (key: keyof Identity) =>
    expected[key] !== undefined &&
    typeof reported[key] === 'string' &&
    reported[key] !== expected[key] &&
    ![expected[key], reported[key]].includes('unknown');
  if (!differs('version') && !differs('gitSha')) return undefined;
  const sha = typeof reported.gitSha === 'string' ? `, git sha ${reported.gitSha.slice(0, 12)}` : '';
  return `it is answered by version ${String(reported.version ?? '?')}${sha}, not the ${expected.version ?? ''}${expected.gitSha ? ` (${expected.gitSha.slice(0, 12)})` : ''} just started`;
}

export interface HealthWait {
  /** The full health URL, e.g. http://127.0.0.1:3000/health. */
  url: string;
  /** The statuses that mean healthy (default: 200). */
  ok?: (status: number) => boolean;
  deadlineMs: number;
  intervalMs?: number;
  expect?: Identity;
  /** Why what was started no longer runs (the process exited, the container stopped), or undefined. */
  gone?: () => Promise<string | undefined>;
  /** PIDs of what was started: a local port held by anything outside them is someone else's. */
  owners?: () => Promise<number[]>;
  /** The deploy's interrupt: the wait ends at once, saying so. */
  signal?: AbortSignal;
}

const LOCAL = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\]|0\.0\.0\.0)$/;

/** The local port of a loopback URL, where this machine can see who listens on it. */
export function localPort(url: string): number | undefined {
  const u = new URL(url);
  if (!LOCAL.test(u.hostname)) return undefined;
  return Number(u.port || (u.protocol === 'https:' ? 443 : 80));
}

/** Who holds the port, when it is not what was started ("port 3000 is held by pid 12 (node x.js)"). */
async function strangerOnPort(port: number | undefined, owners: HealthWait['owners']): Promise<string | undefined> {
  if (port === undefined || !owners) return undefined;
  const holder = portHolder(port);
  if (!holder) return undefined;
  return descendsFrom(holder.pid, await owners()) ? undefined : describeHolder(port, holder);
}

/**
 * The one health wait of the runtimes that run a service themselves: polls the URL until it answers
 * from what was just started, or the deadline. It stops at once, saying why, when what was started
 * has gone, when the answer reports another version, or when the local port is held by someone else
 * (a stale server answering in place of the new version). Whether what was started still runs is
 * asked at most once a second while it does not answer (on a server that is a command over SSH,
 * which several servers starting at once should not pay every 250 ms), and once more when it
 * answers. Returns undefined when healthy, else the reason.
 */
export async function waitHealthy(w: HealthWait): Promise<string | undefined> {
  const port = localPort(w.url);
  const goneNow = async () => {
    const gone = await w.gone?.();
    if (!gone) return undefined;
    const stranger = await strangerOnPort(port, w.owners);
    return stranger ? `${gone}; ${stranger}` : gone;
  };
  const result = await poll<string | undefined>(
    async () => {
      try {
        const res = await probe(w.url, { timeoutMs: 2_000 });
        if (!(w.ok ?? ((s: number) => s === 200))(res.status)) return `health answered ${res.status}`;
        // It answers: from what was started, reporting the version expected, on a port nobody else holds?
        const gone = await goneNow();
        if (gone) return { value: gone };
        const other = w.expect ? identityMismatch(res.body, w.expect) : undefined;
        const stranger = await strangerOnPort(port, w.owners);
        return { value: other || stranger ? [other, stranger].filter(Boolean).join('; ') : undefined };
      } catch (err) {
        return requestFailure(err);
      }
    },
    { deadlineMs: w.deadlineMs, intervalMs: w.intervalMs ?? 250, signal: w.signal, gone: goneNow, goneEveryMs: 1_000 },
  );
  return 'value' in result ? result.value : result.reason;
}
