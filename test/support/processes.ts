import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandLineOf, isAlive } from '../../tools/deploy-plugin/src/core/processes.ts';

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
 * Stops the static servers deploys of fs sites left running under `dir` (each records its PID in
 * its site folder's server.json), checking the PID still runs that server. SIGTERM: it exits at once.
 */
export function stopSiteServers(dir: string): void {
  if (!existsSync(dir)) return;
  for (const file of readdirSync(dir, { recursive: true }) as string[]) {
    if (!file.endsWith('server.json')) continue;
    const { pid, argv } = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { pid?: number; argv?: string[] };
    if (pid && isRunning(pid) && commandLineOf(pid)?.join(' ') === argv?.join(' ')) process.kill(pid, 'SIGTERM');
  }
}
