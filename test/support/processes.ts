import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { commandLineOf, isAlive, stopProcessGroup } from '../../tools/deploy-plugin/src/core/processes.ts';

/** True while a process runs (an exited one nobody has reaped yet does not count). */
export const isRunning = isAlive;

/** Stops a process the tests started, by PID: SIGTERM, then SIGKILL after a grace period. */
export async function stopPid(pid: number | undefined, graceMs = 5_000): Promise<void> {
  if (!pid || !isRunning(pid)) return;
  process.kill(pid, 'SIGTERM');
  const end = Date.now() + graceMs;
  while (isRunning(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  if (isRunning(pid)) process.kill(pid, 'SIGKILL');
}

export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Stops what deploys left running under `dir` (a test's state folder or workspace), by the PIDs
 * they recorded, each only while that PID still runs what was recorded: fs sites' static servers
 * (server.json), services' proxies (haproxy.pid) and local service processes
 * (<project>.process.json: current, previous and earlier versions, each a process group); and the
 * service supervisors whose command line names a file under `dir`.
 */
export async function stopWhatDeploysLeft(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  for (const file of (readdirSync(dir, { recursive: true }) as string[]).map((f) => join(dir, f))) {
    const name = basename(file);
    if (name !== 'server.json' && name !== 'haproxy.pid' && !name.endsWith('.process.json')) continue;
    try {
      const text = readFileSync(file, 'utf8');
      if (name === 'haproxy.pid') {
        const pid = Number(text.trim());
        if (pid && isRunning(pid) && commandLineOf(pid)?.includes(file)) await stopPid(pid);
        continue;
      }
      const record = JSON.parse(text) as Record<string, unknown>;
      if (name === 'server.json') {
        const { pid, argv } = record as { pid?: number; argv?: string[] };
        if (pid && isRunning(pid) && commandLineOf(pid)?.join(' ') === argv?.join(' ')) process.kill(pid, 'SIGTERM');
        continue;
      }
      for (const run of Object.values(record) as Array<{ pid?: number } | undefined>) {
        const pid = run?.pid;
        if (pid && isRunning(pid) && commandLineOf(pid)?.some((a) => a.includes('supervisor'))) await stopProcessGroup(pid, 5_000);
      }
    } catch {
      // A record being written (or a folder with such a name): nothing of it to stop.
    }
  }
  // With a shared (s3) store the services' records are in the bucket, not here: a supervisor whose
  // command line names a file under `dir` (its release's log) was started by a deploy of it.
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    const argv = pid ? commandLineOf(pid) : undefined;
    if (argv?.some((a) => a.includes('supervisor')) && argv.some((a) => a.startsWith(`${dir}/`))) await stopProcessGroup(pid, 5_000);
  }
}
