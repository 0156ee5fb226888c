import { readFileSync } from 'node:fs';

/**
 * True when a process with this PID runs (signal 0 checks without sending anything). An exited
 * child its parent has not reaped yet (a zombie, state Z in /proc) does not count.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc: the signal said it exists
  }
}

/** The command line of a process, or undefined when it is gone (Linux /proc; elsewhere undefined). */
export function commandLineOf(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return undefined;
  }
}

/** The parent of a process (Linux /proc), or undefined when it is gone or cannot be read. */
export function parentOf(pid: number): number | undefined {
  try {
    // Field 4 of /proc/PID/stat, after the command name in parentheses (which may hold spaces).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) && ppid > 0 ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/** True when `pid` is one of `ancestors` or runs below one of them. */
export function descendsFrom(pid: number, ancestors: number[]): boolean {
  const wanted = new Set(ancestors);
  for (let p: number | undefined = pid, hops = 0; p && hops < 64; p = parentOf(p), hops++) {
    if (wanted.has(p)) return true;
  }
  return false;
}

/** Pure: the command line is the Nx CLI (`node …/nx/bin/nx.js` or `node …/.bin/nx`), not one of its task processes. */
export function isNxCli(argv: string[] | undefined): boolean {
  return /(^|\/)(nx\/bin\/nx\.js|\.bin\/nx|bin\/nx)$/.test(argv?.[1] ?? '');
}

/**
 * The Nx invocation this task belongs to: the tasks of one `nx run-many` share it. Nx 24 passes
 * the PIDs of its own processes to each task (NX_INVOCATION_ANCESTOR_PIDS, outermost first: the
 * last one); earlier Nx versions pass nothing, so the nearest ancestor running the Nx CLI is the
 * run (the tasks are its children, forked or in a pseudo-terminal). Outside Nx, this process.
 */
export function currentRunPid(
  env: NodeJS.ProcessEnv = process.env,
  proc: { pid: number; parentOf: (pid: number) => number | undefined; commandLineOf: (pid: number) => string[] | undefined } = {
    pid: process.pid,
    parentOf,
    commandLineOf,
  },
): number {
  const pids = (env.NX_INVOCATION_ANCESTOR_PIDS ?? '')
    .split(',')
    .map(Number)
    .filter((p) => Number.isInteger(p) && p > 0);
  if (pids.length) return pids.at(-1)!;
  for (let p: number | undefined = proc.pid, hops = 0; p && hops < 32; p = proc.parentOf(p), hops++) {
    if (isNxCli(proc.commandLineOf(p))) return p;
  }
  return proc.pid;
}

/** Sends a signal to a process group; false when it is already gone. */
function signalGroup(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, sig);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/** True while any process of the group runs (signal 0 to the group). */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Stops a detached process and everything it started (its process group): SIGTERM, then SIGKILL
 * after the grace period, until no process of the group is left (a child still shutting down
 * would keep the port).
 */
export async function stopProcessGroup(pid: number, graceMs = 10_000): Promise<'stopped' | 'not-running'> {
  if (!signalGroup(pid, 'SIGTERM')) return 'not-running';
  const end = Date.now() + graceMs;
  while (Date.now() < end) {
    if (!groupAlive(pid)) return 'stopped';
    await new Promise((r) => setTimeout(r, 100));
  }
  signalGroup(pid, 'SIGKILL');
  for (let i = 0; i < 50 && groupAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  return 'stopped';
}

/** When a process started, in clock ticks since boot (Linux /proc): with the PID, it names one process for good. */
export function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
