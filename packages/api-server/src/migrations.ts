import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Umzug, type UmzugStorage } from 'umzug';
import type { Database } from './db/database.js';

/** The package's own migrations/ folder (src/ and dist/ are both one level below it). */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));

const TABLE = 'schema_migrations';
const MIGRATION_FILE = /^\d+_[\w.-]+\.sql$/;

/** A migration whose SQL failed; carries the file name and the database's own message. */
export class MigrationFailedError extends Error {
  override name = 'MigrationFailedError';
  constructor(
    readonly file: string,
    readonly dbMessage: string,
    options?: ErrorOptions,
  ) {
    super(`migration failed: ${file}: ${dbMessage}`, options);
  }
}

export interface AppliedMigration {
  name: string;
  appliedAt: string | null;
}

export async function migrationsTableExists(db: Database): Promise<boolean> {
  const rows =
    db.dialect === 'sqlite'
      ? await db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", [TABLE])
      : await db.query('SELECT to_regclass(?) AS name', [TABLE]).then((r) => r.filter((row) => row.name !== null));
  return rows.length > 0;
}

export async function ensureMigrationsTable(db: Database): Promise<void> {
  await db.exec(`CREATE TABLE IF NOT EXISTS ${TABLE} (name TEXT PRIMARY KEY, applied_at TEXT)`);
}

/** Applied migrations, oldest name first; [] (and no table created) on a fresh database. */
export async function appliedMigrations(db: Database): Promise<AppliedMigration[]> {
  if (!(await migrationsTableExists(db))) return [];
  const rows = await db.query<{ name: string; applied_at: string | null }>(`SELECT name, applied_at FROM ${TABLE} ORDER BY name`);
  return rows.map((r) => ({ name: r.name, appliedAt: r.applied_at }));
}

/** `NNNN_description.sql` files in name order; other files (README, .down.sql drafts...) are ignored. */
export function listMigrationFiles(dir: string): string[] {
  if (!existsSync(dir)) {
    throw new Error(`migrations folder not found: ${dir} (set MIGRATIONS_DIR or rebuild the package)`);
  }
  return readdirSync(dir)
    .filter((f) => MIGRATION_FILE.test(f))
    .sort();
}

/**
 * umzug storage backed by schema_migrations. Recording is idempotent because the migration
 * itself already inserts its row inside its own transaction (see createMigrator).
 */
function sqlStorage(db: Database): UmzugStorage {
  return {
    async executed() {
      return (await appliedMigrations(db)).map((m) => m.name);
    },
    async logMigration({ name }) {
      await ensureMigrationsTable(db);
      await db.query(`INSERT INTO ${TABLE} (name, applied_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, [name, new Date().toISOString()]);
    },
    async unlogMigration({ name }) {
      await db.query(`DELETE FROM ${TABLE} WHERE name = ?`, [name]);
    },
  };
}

/**
 * Each migration's SQL and its schema_migrations row are committed in one transaction, so a
 * failing file leaves neither a partial change nor a record (DDL is transactional on both
 * SQLite and PostgreSQL).
 */
export function createMigrator(db: Database, dir: string = DEFAULT_MIGRATIONS_DIR): Umzug {
  return new Umzug({
    logger: undefined,
    storage: sqlStorage(db),
    migrations: () =>
      listMigrationFiles(dir).map((name) => ({
        name,
        path: join(dir, name),
        up: async () => {
          const sql = readFileSync(join(dir, name), 'utf8');
          await ensureMigrationsTable(db);
          try {
            await db.transaction(async (tx) => {
              await tx.exec(sql);
              await tx.query(`INSERT INTO ${TABLE} (name, applied_at) VALUES (?, ?)`, [name, new Date().toISOString()]);
            });
          } catch (err) {
            throw new MigrationFailedError(name, err instanceof Error ? err.message : String(err), { cause: err });
          }
        },
      })),
  });
}

/** The MigrationFailedError inside umzug's wrapping error, if that is what failed. */
export function findMigrationFailure(err: unknown): MigrationFailedError | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof MigrationFailedError) return e;
  }
  return undefined;
}
