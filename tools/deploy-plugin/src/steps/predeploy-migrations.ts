import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { migrateUp } from '../commands/migrate.ts';
import { pgCreateDatabase, pgDropDatabase, pgDump, pgRestore, withDatabase } from '../commands/postgres.ts';
import type { DatabaseTarget } from '../config/database.ts';
import { reachDatabase, type ReachedDatabase } from '../step-kit/database-access.ts';
import { fail, pass, unknown, type CheckResult } from '../checks/result.ts';
import { copySqlite } from '../core/sqlite.ts';
import { failureLine, migrationEnv, toolOf, type MigrateOptions } from './migrate.ts';
import type { StepContext } from '../step-kit/step.ts';

const firstLine = (err: unknown) => ((err as Error).message ?? String(err)).split('\n')[0]!;

/** Applies the migrations to `url` (a scratch copy); a failure is the check's, named as the tool named it. */
async function applyTo(o: MigrateOptions, ctx: StepContext, url: string, what: string): Promise<CheckResult> {
  try {
    await ctx.runner.run(migrateUp(toolOf(o), join(ctx.workspaceRoot, ctx.project.root), url, o.timeoutMs, migrationEnv(o, ctx)), { quiet: true });
    return pass('migrations', `pending migrations apply cleanly to ${what}`);
  } catch (err) {
    return fail('migrations', `migrating ${what} failed: ${failureLine(err)}; the real database was not touched`);
  }
}

async function onSqliteCopy(o: MigrateOptions, ctx: StepContext, db: DatabaseTarget & { kind: 'sqlite' }): Promise<CheckResult> {
  const dir = mkdtempSync(join(tmpdir(), 'nx-deploy-predeploy-'));
  try {
    const scratch = join(dir, 'scratch.sqlite');
    if (existsSync(db.file)) await copySqlite(db.file, scratch);
    return await applyTo(
      o,
      ctx,
      `file:${scratch}`,
      existsSync(db.file) ? 'a copy of the SQLite database' : 'an empty SQLite database (none exists yet)',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** PostgreSQL: a scratch database on the same server, restored from a dump of the real one, dropped after. */
async function onPostgresCopy(o: MigrateOptions, ctx: StepContext, db: DatabaseTarget): Promise<CheckResult> {
  const name = `${new URL(db.url).pathname.slice(1) || 'postgres'}_predeploy_${randomBytes(4).toString('hex')}`;
  const scratch = withDatabase(db.url, name);
  ctx.redactor.add(scratch);
  const dir = mkdtempSync(join(tmpdir(), 'nx-deploy-predeploy-'));
  try {
    await ctx.runner.run(pgCreateDatabase(db.url, name), { quiet: true });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    return unknown(
      'migrations',
      `no scratch database could be created to try them on (${firstLine(err)}); grant CREATEDB to the deploy's database user`,
    );
  }
  try {
    const dump = join(dir, 'real.dump');
    await ctx.runner.run(pgDump(db.url, dump), { quiet: true });
    await ctx.runner.run(pgRestore(scratch, dump), { quiet: true });
    return await applyTo(o, ctx, scratch, `a scratch copy of the database (${name})`);
  } catch (err) {
    return unknown('migrations', `the database could not be copied to try them on (${firstLine(err)})`);
  } finally {
    await ctx.runner.run(pgDropDatabase(db.url, name), { quiet: true, allowFailure: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The migrations check: pending migrations applied to a throwaway copy of the environment's database first. */
export async function dryRunMigrations(o: MigrateOptions, ctx: StepContext): Promise<CheckResult> {
  let reached: ReachedDatabase;
  try {
    reached = await reachDatabase(ctx);
  } catch (err) {
    return unknown('migrations', firstLine(err));
  }
  try {
    const { db } = reached;
    return db.kind === 'sqlite' ? await onSqliteCopy(o, ctx, db) : await onPostgresCopy(o, ctx, db);
  } finally {
    await reached.close();
  }
}
