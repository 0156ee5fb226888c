import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.js';
import { openPostgres } from './postgres.js';
import { openSqlite } from './sqlite.js';

export type DatabaseTarget = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

/** DATABASE_URL -> what to open. `file:<path>` is relative to the current directory. */
export function parseDatabaseUrl(url: string, cwd = process.cwd()): DatabaseTarget {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return { kind: 'postgres', url };
  if (url.startsWith('file:')) {
    const rest = url.slice('file:'.length);
    if (rest === ':memory:') return { kind: 'sqlite', path: ':memory:' };
    if (rest === '') throw new Error('file: URL has no path (expected e.g. file:./data/api.sqlite)');
    return { kind: 'sqlite', path: rest.startsWith('//') ? fileURLToPath(url) : resolve(cwd, rest) };
  }
  throw new Error('unsupported DATABASE_URL scheme (expected file:<path>, postgres:// or postgresql://)');
}

/** Opens without querying: PostgreSQL connects lazily, so a server can start while the DB is down. */
export function openDatabase(url: string): Database {
  const target = parseDatabaseUrl(url);
  if (target.kind === 'postgres') return openPostgres(target.url);
  if (target.path !== ':memory:') mkdirSync(dirname(target.path), { recursive: true });
  return openSqlite(target.path);
}

/** The URL with its password replaced, safe to print. */
export function maskDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === '') return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  }
}

/** A readable reason, also for errors whose message is empty (e.g. AggregateError from net connect). */
export function describeError(err: unknown): string {
  if (err instanceof AggregateError && err.message === '' && err.errors.length > 0) {
    return [...new Set(err.errors.map(describeError))].join('; ');
  }
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    if (err.message !== '') return err.message;
    return typeof code === 'string' ? code : err.name;
  }
  return String(err);
}
