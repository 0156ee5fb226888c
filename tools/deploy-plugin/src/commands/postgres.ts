import type { Command } from '../core/run.ts';

/** libpq settings for a postgres:// URL, passed as environment so the password never is in argv. */
export function libpqEnv(url: string): Record<string, string> {
  const u = new URL(url);
  const env: Record<string, string> = {
    PGHOST: decodeURIComponent(u.hostname),
    PGPORT: u.port || '5432',
    PGDATABASE: decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres',
  };
  if (u.username) env.PGUSER = decodeURIComponent(u.username);
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  const sslmode = u.searchParams.get('sslmode');
  if (sslmode) env.PGSSLMODE = sslmode;
  return env;
}

/** Custom-format dump (compressed, restorable selectively), credentials passed via libpq env. */
export function pgDump(url: string, file: string): Command {
  return { argv: ['pg_dump', '--format=custom', '--no-owner', '--file', file], env: libpqEnv(url) };
}

/**
 * Puts a dump back over the live database in one transaction: objects in the dump are dropped
 * and recreated, so a failed restore changes nothing.
 */
export function pgRestore(url: string, file: string): Command {
  const env = libpqEnv(url);
  return {
    argv: ['pg_restore', '--clean', '--if-exists', '--single-transaction', '--no-owner', '--exit-on-error', '--dbname', env.PGDATABASE!, file],
    env,
  };
}

const USER_RELATIONS = `SELECT c.relkind::text || ' ' || format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r','v','m','S','p') AND n.nspname NOT IN ('pg_catalog','information_schema') AND n.nspname NOT LIKE 'pg_toast%'
ORDER BY 1`;

/** Lists tables, views and sequences as "<relkind> <schema>.<name>" lines: compared before and after migrating. */
export function pgListRelations(url: string): Command {
  return { argv: ['psql', '--no-psqlrc', '--tuples-only', '--no-align', '--command', USER_RELATIONS], env: libpqEnv(url) };
}

const DROP_BY_KIND: Record<string, string> = { r: 'TABLE', p: 'TABLE', v: 'VIEW', m: 'MATERIALIZED VIEW', S: 'SEQUENCE' };

/**
 * Drops relations a failed migration run created (lines as listed by pgListRelations): restoring
 * the dump cannot know about them. Tables first; CASCADE takes their views and owned sequences.
 */
export function pgDropRelations(url: string, relations: string[]): Command {
  const order = ['r', 'p', 'm', 'v', 'S'];
  const sql = relations
    .map((line) => [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)] as const)
    .sort((a, b) => order.indexOf(a[0]) - order.indexOf(b[0]))
    .map(([kind, name]) => `DROP ${DROP_BY_KIND[kind] ?? 'TABLE'} IF EXISTS ${name} CASCADE;`)
    .join('\n');
  return { argv: ['psql', '--no-psqlrc', '--quiet', '--set', 'ON_ERROR_STOP=1', '--single-transaction'], input: sql, env: libpqEnv(url) };
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Creates or drops a database on the server of `url` (a pre-deployment check's scratch copy). */
export function pgCreateDatabase(url: string, name: string): Command {
  return {
    argv: ['psql', '--no-psqlrc', '--quiet', '--set', 'ON_ERROR_STOP=1', '--command', `CREATE DATABASE ${quoteIdent(name)}`],
    env: libpqEnv(url),
  };
}

export function pgDropDatabase(url: string, name: string): Command {
  return {
    argv: ['psql', '--no-psqlrc', '--quiet', '--set', 'ON_ERROR_STOP=1', '--command', `DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`],
    env: libpqEnv(url),
  };
}

/** The same server and credentials, another database. */
export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(name)}`;
  return u.toString();
}
