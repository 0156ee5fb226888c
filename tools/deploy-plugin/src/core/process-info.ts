import { readFileSync } from 'node:fs';

/** True when a process with this PID exists (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
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

/**
 * The Nx invocation this task belongs to. Nx passes the PIDs of its own processes to each task
 * (NX_INVOCATION_ANCESTOR_PIDS, outermost first); tasks of one `nx run-many` share the last one.
 * Outside Nx, the run is this process.
 */
export function currentRunPid(env: NodeJS.ProcessEnv = process.env): number {
  const pids = (env.NX_INVOCATION_ANCESTOR_PIDS ?? '')
    .split(',')
    .map(Number)
    .filter((p) => Number.isInteger(p) && p > 0);
  return pids.at(-1) ?? process.pid;
}
