import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { backupPath, migratePending, migrateUp, type MigrateTool } from '../commands/migrate.ts';
import { pgDropRelations, pgDump, pgListRelations, pgRestore } from '../commands/postgres.ts';
import { resolveDatabase, type DatabaseTarget } from '../config/database.ts';
import { UserError } from '../core/errors.ts';
import { interpolateRecord } from '../core/interpolate.ts';
import type { PlanContext } from '../config/context.ts';
import { restored } from '../core/rollback.ts';
import { CommandFailed } from '../core/run.ts';
import { copySqlite } from '../core/sqlite.ts';
import type { PlannedAction } from '../core/plan.ts';
import type { StepContext, StepDefinition, StepResult } from '../step-kit/step.ts';
import { reachDatabase } from '../step-kit/database-access.ts';
import { checkBackupKey, fetchFromStore, keepInStore, STORE_REF } from '../step-kit/backup-in-store.ts';

export const migrateOptions = z
  .strictObject({
    environment: z.string().optional(),
    tool: z
      .enum(['builtin', 'prisma', 'command'])
      .default('builtin')
      .describe("builtin: the project's own migration script; prisma: prisma migrate deploy; command: any argv"),
    script: z.string().default('dist/migrate.js').describe("builtin: the project's migration script (`up` and `pending` commands)"),
    schema: z.string().default('prisma/schema.prisma').describe('prisma: the schema file'),
    command: z.array(z.string()).min(1).optional().describe('command: the argv that applies pending migrations'),
    backup: z.boolean().default(true).describe('Take a backup before migrating and restore it if migrating fails'),
    env: z
      .record(z.string(), z.string())
      .default({})
      .describe("More environment for the migration tool (it inherits none of the deploy's); values may use ${VAR} or ${VAR:-default}"),
    timeoutMs: z.int().positive().default(600_000).describe('Stop the migration command after this long'),
  })
  .refine((o) => o.tool !== 'command' || o.command, { error: 'tool "command" needs a command (an argv array)', path: ['command'] });

export type MigrateOptions = z.infer<typeof migrateOptions>;
type Options = MigrateOptions;

/** The migration tool's own settings (option env), filled in from the deploy's variables. */
export function migrationEnv(o: Options, ctx: PlanContext, lenient = false): Record<string, string> {
  return interpolateRecord(o.env, ctx.environ, `${ctx.project.name}:migrate env`, lenient);
}

export function toolOf(o: Options): MigrateTool {
  if (o.tool === 'prisma') return { tool: 'prisma', schema: o.schema };
  if (o.tool === 'command') return { tool: 'command', command: o.command! };
  return { tool: 'builtin', script: o.script };
}

/** The line of the tool's output that names the failed migration, for the error message. */
export function failureLine(err: unknown): string {
  if (!(err instanceof CommandFailed)) return (err as Error).message;
  const lines = `${err.result.stderr}\n${err.result.stdout}`
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.find((l) => /migration/i.test(l) && /fail|error/i.test(l)) ?? lines.at(-1) ?? err.message;
}

async function pendingMigrations(o: Options, ctx: StepContext, db: DatabaseTarget, dir: string): Promise<string[] | undefined> {
  const cmd = migratePending(toolOf(o), dir, db.url, migrationEnv(o, ctx));
  if (!cmd) return undefined;
  const res = await ctx.runner.run(cmd, { quiet: true });
  try {
    return JSON.parse(res.stdout.trim().split('\n').at(-1) ?? '[]') as string[];
  } catch {
    throw new UserError(
      `${ctx.project.name}: '${o.script} pending' must print a JSON array of migration names; it printed: ${res.stdout.slice(0, 200)}`,
    );
  }
}

async function backup(ctx: StepContext, db: DatabaseTarget): Promise<{ ref: string; relations?: string[] }> {
  if (db.kind === 'sqlite') {
    const ref = backupPath(ctx.stateDir, ctx.envName, ctx.project.name, ctx.deployId, 'sqlite');
    mkdirSync(dirname(ref), { recursive: true });
    if (existsSync(db.file)) await copySqlite(db.file, ref);
    ctx.log.info(`backup: ${ref}${existsSync(db.file) ? '' : ' (no database yet: nothing to back up)'}`);
    return { ref };
  }
  const ref = backupPath(ctx.stateDir, ctx.envName, ctx.project.name, ctx.deployId, 'dump');
  mkdirSync(dirname(ref), { recursive: true, mode: 0o700 });
  await ctx.runner.run(pgDump(db.url, ref));
  const listed = await ctx.runner.run(pgListRelations(db.url), { quiet: true });
  const relations = listed.stdout.split('\n').filter(Boolean);
  // Kept beside the dump: a later rollback drops what the migration created before restoring.
  writeFileSync(`${ref}.relations.json`, JSON.stringify(relations), { mode: 0o600 });
  ctx.log.info(`backup: ${ref}`);
  return { ref, relations };
}

/**
 * Puts the database back to a backup taken before migrating: one kept in the state store is
 * downloaded, decrypted and checked against `sha256` first; a local one has its relations list beside it.
 */
export async function restoreBackup(ctx: StepContext, ref: string, sha256?: string): Promise<void> {
  const fetched = ref.startsWith(STORE_REF) ? await fetchFromStore(ctx, ref, sha256) : undefined;
  const reached = await reachDatabase(ctx);
  try {
    if (fetched) return await restore(ctx, reached.db, fetched);
    const sidecar = `${ref}.relations.json`;
    const relations = existsSync(sidecar) ? (JSON.parse(readFileSync(sidecar, 'utf8')) as string[]) : undefined;
    await restore(ctx, reached.db, { ref, relations });
  } finally {
    fetched?.done();
    await reached.close();
  }
}

async function restore(ctx: StepContext, db: DatabaseTarget, saved: { ref: string; relations?: string[] }): Promise<void> {
  if (db.kind === 'sqlite') {
    for (const suffix of ['-wal', '-shm']) rmSync(db.file + suffix, { force: true });
    if (existsSync(saved.ref)) copyFileSync(saved.ref, db.file);
    else rmSync(db.file, { force: true });
    return;
  }
  const now = await ctx.runner.run(pgListRelations(db.url), { quiet: true });
  const before = new Set(saved.relations ?? []);
  const created = now.stdout.split('\n').filter((l) => l && !before.has(l));
  if (created.length) await ctx.runner.run(pgDropRelations(db.url, created));
  await ctx.runner.run(pgRestore(db.url, saved.ref));
}

export const migrateStep: StepDefinition<typeof migrateOptions> = {
  options: migrateOptions,

  plan(o, ctx): PlannedAction[] {
    const db = resolveDatabase(ctx, true);
    const dir = join(ctx.workspaceRoot, ctx.project.root);
    const pending = migratePending(toolOf(o), dir, db.url, migrationEnv(o, ctx, true));
    const actions: PlannedAction[] = [];
    if (pending) actions.push({ title: 'list pending migrations', command: pending });
    if (o.backup) {
      actions.push(
        db.kind === 'sqlite'
          ? { title: `back up the SQLite file ${db.file} (VACUUM INTO)` }
          : db.url.startsWith('${')
            ? { title: `back up the database (pg_dump -Fc, connection from ${db.url}, which is not set now)` }
            : {
                title: 'back up the database',
                command: pgDump(db.url, backupPath(ctx.stateDir, ctx.envName, ctx.project.name, ctx.deployId, 'dump')),
              },
      );
    }
    actions.push({ title: 'apply migrations', command: migrateUp(toolOf(o), dir, db.url, o.timeoutMs, migrationEnv(o, ctx, true)) });
    if (o.backup) actions.push({ title: 'on failure: restore the backup and stop' });
    return actions;
  },

  async preflight(o, ctx) {
    if (o.tool === 'builtin' && !existsSync(join(ctx.workspaceRoot, ctx.project.root, o.script))) {
      throw new UserError(
        `${ctx.project.name}: its migration script ${join(ctx.project.root, o.script)} does not exist; it is the build's output: ` +
          `run \`nx run ${ctx.project.name}:build\` first (a deploy does, unless --excludeTaskDependencies), or set the migrate option script. Nothing was run.`,
      );
    }
    if (o.backup) checkBackupKey(ctx);
  },

  async run(o, ctx): Promise<StepResult> {
    const reached = await reachDatabase(ctx);
    try {
      return await migrate(o, ctx, reached.db);
    } finally {
      await reached.close();
    }
  },

  /**
   * A later step failed or verification rolled the deploy back: the database goes back to this
   * deploy's backup only where the environment says so (rollback.database: restore); otherwise it
   * stays as migrated (the previous version must cope with the new schema: expand/contract).
   */
  async rollback(_o, ctx, result) {
    if (!result.backupRef) return undefined;
    if (ctx.env.rollback.database !== 'restore') {
      ctx.log.info(`the database stays as migrated (environments.${ctx.envName}.rollback.database is never); its backup is ${result.backupRef}`);
      return undefined;
    }
    await restoreBackup(ctx, result.backupRef, result.backupSha256);
    return restored(`the database from ${result.backupRef}`, 'restored from the backup taken before migrating');
  },
};

/** Pending migrations behind a backup, restored when applying them fails. */
async function migrate(o: Options, ctx: StepContext, db: DatabaseTarget): Promise<StepResult> {
  const dir = join(ctx.workspaceRoot, ctx.project.root);
  if (db.kind === 'sqlite') mkdirSync(dirname(db.file), { recursive: true });
  const pending = await pendingMigrations(o, ctx, db, dir);
  if (pending && pending.length === 0) {
    ctx.log.info('no pending migrations');
    return { detail: 'up to date' };
  }
  if (pending) ctx.log.info(`pending: ${pending.join(', ')}`);
  const saved = o.backup ? await backup(ctx, db) : undefined;
  try {
    await ctx.runner.run(migrateUp(toolOf(o), dir, db.url, o.timeoutMs, migrationEnv(o, ctx)));
  } catch (err) {
    const why = failureLine(err);
    if (!saved) throw new UserError(`${ctx.project.name}: ${why} (no backup was taken: backup is off)`);
    ctx.log.warn(`migrating failed; restoring the backup ${saved.ref}`);
    try {
      await restore(ctx, db, saved);
    } catch (restoreErr) {
      throw new UserError(
        `${ctx.project.name}: ${why}. Restoring the backup ALSO failed: ${(restoreErr as Error).message}. ` +
          `The backup is kept at ${saved.ref}; restore it by hand before deploying again.`,
      );
    }
    throw new UserError(`${ctx.project.name}: ${why}. The database was restored from the backup ${saved.ref}.`);
  }
  const stored = saved ? await keepInStore(ctx, saved) : undefined;
  return {
    backupRef: stored?.ref ?? saved?.ref,
    ...(stored ? { backupSha256: stored.sha256 } : {}),
    detail: pending ? `applied ${pending.length}` : 'applied',
  };
}
