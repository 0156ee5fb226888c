import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import type { Database } from './database.js';

/**
 * SQLite through Node's built-in node:sqlite (no native addon). One synchronous connection:
 * transactions are queued so two never interleave their BEGINs; plain queries issued while a
 * transaction awaits would join it, which is fine for this app (only migrations use transactions).
 */
export function openSqlite(path: string): Database {
  const db = new DatabaseSync(path);
  // Wait instead of failing when the migrator and the server touch the file at the same time.
  db.exec('PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;');
  if (path !== ':memory:') db.exec('PRAGMA journal_mode = WAL;');
  let queue: Promise<unknown> = Promise.resolve();

  const api: Database = {
    dialect: 'sqlite',
    async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      return db.prepare(sql).all(...params.map(toSqlite)) as T[];
    },
    async exec(sql: string): Promise<void> {
      db.exec(sql);
    },
    transaction<T>(fn: (tx: Database) => Promise<T>): Promise<T> {
      const run = async (): Promise<T> => {
        db.exec('BEGIN');
        try {
          const result = await fn(api);
          db.exec('COMMIT');
          return result;
        } catch (err) {
          if (db.isTransaction) db.exec('ROLLBACK');
          throw err;
        }
      };
      const result = queue.then(run, run);
      queue = result.catch(() => undefined);
      return result;
    },
    async close(): Promise<void> {
      if (db.isOpen) db.close();
    },
  };
  return api;
}

function toSqlite(value: unknown): SQLInputValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.toISOString();
  return value as SQLInputValue;
}
