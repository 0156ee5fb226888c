import pg from 'pg';
import type { Database } from './database.js';

type Queryable = Pick<pg.PoolClient, 'query'>;

/** PostgreSQL through the pure-JS `pg` pool. Connections are made lazily on first query. */
export function openPostgres(url: string): Database {
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5000 });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', (err) => console.error(`postgres pool: idle client error: ${err.message}`));
  let closed = false;
  return {
    ...wrap(pool),
    async transaction<T>(fn: (tx: Database) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const tx: Database = {
          ...wrap(client),
          transaction: () => Promise.reject(new Error('nested transactions are not supported')),
          close: () => Promise.reject(new Error('close the database, not the transaction')),
        };
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

function wrap(target: Queryable): Pick<Database, 'dialect' | 'query' | 'exec'> {
  return {
    dialect: 'postgres',
    async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      const result = await target.query(toPositional(sql), [...params]);
      return result.rows as T[];
    },
    async exec(sql: string): Promise<void> {
      // No parameters: pg uses the simple query protocol, which accepts several statements.
      await target.query(sql);
    },
  };
}

/** `?` -> `$1, $2, ...`, leaving quoted strings and identifiers alone. */
export function toPositional(sql: string): string {
  let n = 0;
  let quote: string | null = null;
  let out = '';
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
    } else if (ch === '?') {
      out += `$${++n}`;
      continue;
    }
    out += ch;
  }
  return out;
}
