import { DEFAULT_DATABASE_URL } from './config.js';
import type { Database } from './db/database.js';
import { describeError, maskDatabaseUrl, openDatabase } from './db/open.js';
import { appliedMigrations, createMigrator, DEFAULT_MIGRATIONS_DIR, findMigrationFailure, listMigrationFiles } from './migrations.js';

export const EXIT = { ok: 0, migrationFailed: 1, cannotConnect: 2, usage: 64 } as const;

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

const USAGE = `usage: migrate <up|pending|status>
  up       apply pending migrations in name order
  pending  print pending migration file names as a JSON array
  status   print applied and pending migrations
env: DATABASE_URL (default ${DEFAULT_DATABASE_URL}), MIGRATIONS_DIR (default: the package's migrations/)`;

/** The migration CLI as a function, so tests can run it in-process. Returns the exit code. */
export async function runMigrateCli(args: readonly string[], env: Record<string, string | undefined>, io: CliIo): Promise<number> {
  const command = args[0];
  if (args.length !== 1 || !['up', 'pending', 'status'].includes(command ?? '')) {
    io.err(USAGE);
    return EXIT.usage;
  }
  const url = env.DATABASE_URL?.trim() || DEFAULT_DATABASE_URL;
  const dir = env.MIGRATIONS_DIR?.trim() || DEFAULT_MIGRATIONS_DIR;
  try {
    listMigrationFiles(dir);
  } catch (err) {
    io.err(oneLine(describeError(err)));
    return EXIT.usage;
  }

  let db: Database;
  try {
    db = openDatabase(url);
    await db.query('SELECT 1');
  } catch (err) {
    io.err(oneLine(`cannot connect to database ${maskDatabaseUrl(url)}: ${describeError(err)}`));
    return EXIT.cannotConnect;
  }
  try {
    if (command === 'up') return await up(db, dir, io);
    if (command === 'pending') {
      const pending = await createMigrator(db, dir).pending();
      io.out(JSON.stringify(pending.map((m) => m.name)));
      return EXIT.ok;
    }
    return await status(db, dir, io);
  } finally {
    await db.close();
  }
}

async function up(db: Database, dir: string, io: CliIo): Promise<number> {
  const migrator = createMigrator(db, dir);
  let applied = 0;
  migrator.on('migrated', ({ name }) => {
    applied += 1;
    io.out(`applied ${name}`);
  });
  try {
    await migrator.up();
  } catch (err) {
    const failure = findMigrationFailure(err);
    io.err(oneLine(failure ? failure.message : `migration failed: ${describeError(err)}`));
    return EXIT.migrationFailed;
  }
  io.out(applied === 0 ? 'migrations: 0 applied, up to date' : `migrations: ${applied} applied`);
  return EXIT.ok;
}

async function status(db: Database, dir: string, io: CliIo): Promise<number> {
  const applied = await appliedMigrations(db);
  const pending = (await createMigrator(db, dir).pending()).map((m) => m.name);
  const known = new Set(listMigrationFiles(dir));
  for (const m of applied) {
    const note = known.has(m.name) ? '' : '  (file missing)';
    io.out(`applied  ${m.name}  ${m.appliedAt ?? ''}${note}`.trimEnd());
  }
  for (const name of pending) io.out(`pending  ${name}`);
  io.out(`migrations: ${applied.length} applied, ${pending.length} pending`);
  return EXIT.ok;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}
