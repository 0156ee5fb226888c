import { join } from 'node:path';
import type { Command } from '../core/run.ts';

export type MigrateTool = { tool: 'builtin'; script: string } | { tool: 'prisma'; schema: string } | { tool: 'command'; command: string[] };

/**
 * The command that applies pending migrations, run in the project folder with DATABASE_URL set and
 * `env`, the rest of what the tool is given (a child inherits no other variable of the deploy).
 */
export function migrateUp(t: MigrateTool, projectDir: string, databaseUrl: string, timeoutMs?: number, env: Record<string, string> = {}): Command {
  const base = { cwd: projectDir, env: { ...env, DATABASE_URL: databaseUrl }, timeoutMs };
  switch (t.tool) {
    case 'builtin':
      return { ...base, argv: ['node', t.script, 'up'] };
    case 'prisma':
      return { ...base, argv: ['prisma', 'migrate', 'deploy', '--schema', t.schema] };
    case 'command':
      return { ...base, argv: [...t.command] };
  }
}

/**
 * The command that lists pending migrations as a JSON array, when the tool has one: a backup is
 * only worth taking when something will change. Other tools always get a backup.
 */
export function migratePending(t: MigrateTool, projectDir: string, databaseUrl: string, env: Record<string, string> = {}): Command | undefined {
  return t.tool === 'builtin' ? { cwd: projectDir, env: { ...env, DATABASE_URL: databaseUrl }, argv: ['node', t.script, 'pending'] } : undefined;
}

/** Where a backup of this deploy goes: named after the ledger entry. */
export function backupPath(stateDir: string, env: string, project: string, deployId: string, ext: 'dump' | 'sqlite'): string {
  return join(stateDir, 'backups', env, project, `${deployId}.${ext}`);
}
