import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { commandLineOf, isAlive } from '../core/process-info.ts';

/** What the state folder remembers about a service started as a local process. */
export interface LocalService {
  pid: number;
  argv: string[];
  url: string;
  version: string;
  gitSha: string;
  deployId: string;
  startedAt: string;
  log: string;
}

export function serviceStatePath(stateDir: string, env: string, project: string): string {
  return join(stateDir, 'services', env, `${project}.json`);
}

export function readService(path: string): LocalService | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LocalService;
  } catch {
    return undefined;
  }
}

export function writeService(path: string, service: LocalService): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(service, null, 2));
}

/**
 * True when the recorded PID is still our service and not a recycled PID of something else:
 * its command line must end with the argv we started.
 */
export function isOurProcess(service: LocalService): boolean {
  if (!isAlive(service.pid)) return false;
  const cmdline = commandLineOf(service.pid);
  if (!cmdline) return true; // no /proc: trust the PID
  const tail = service.argv.slice(1);
  return tail.every((a, i) => cmdline[cmdline.length - tail.length + i] === a);
}

/** Stops a local service by PID: SIGTERM, then SIGKILL after the grace period. */
export async function stopService(service: LocalService, graceMs = 10_000): Promise<'stopped' | 'not-running'> {
  if (!isOurProcess(service)) return 'not-running';
  if (!signal(service.pid, 'SIGTERM')) return 'not-running';
  const end = Date.now() + graceMs;
  while (Date.now() < end) {
    if (!isAlive(service.pid)) return 'stopped';
    await new Promise((r) => setTimeout(r, 100));
  }
  signal(service.pid, 'SIGKILL');
  return 'stopped';
}

/** Sends a signal; false when the process is already gone. */
function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}
