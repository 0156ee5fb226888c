/** The few operations the API and the migrator need; implemented for SQLite and PostgreSQL. */
export interface Database {
  readonly dialect: 'sqlite' | 'postgres';
  /** One statement; `?` placeholders (translated for PostgreSQL). Returns the rows, [] when none. */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** A script of one or more statements without parameters (e.g. a migration file). */
  exec(sql: string): Promise<void>;
  /** Runs fn inside BEGIN/COMMIT on one connection; ROLLBACK and rethrow if fn throws. */
  transaction<T>(fn: (tx: Database) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
