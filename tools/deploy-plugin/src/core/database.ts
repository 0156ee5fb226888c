import { join, relative } from 'node:path';
import { UserError } from './errors.ts';
import type { PlanContext } from '../steps/step.ts';

export type DatabaseTarget = { kind: 'sqlite'; url: string; file: string } | { kind: 'postgres'; url: string };

/**
 * The database of a project in an environment: the URL from the variable deploy.json names, else
 * its file: URL, else a SQLite file in the state folder (the embedded development default).
 * In plan mode an unset variable shows as ${NAME}.
 */
export function resolveDatabase(ctx: PlanContext, lenient = false): DatabaseTarget {
  const db = ctx.env.database;
  let url: string | undefined;
  if (db?.urlVariable) url = ctx.environ[db.urlVariable] || undefined;
  url ??= db?.url;
  if (!url && db?.urlVariable) {
    if (lenient) return { kind: 'postgres', url: `\${${db.urlVariable}}` };
    throw new UserError(
      `${ctx.envName}: the database URL is read from ${db.urlVariable} (deploy.json environments.${ctx.envName}.database.urlVariable), which is not set.`,
    );
  }
  url ??= `file:${relative(ctx.workspaceRoot, join(ctx.stateDir, 'data', ctx.envName, `${ctx.project.name}.sqlite`))}`;
  if (url.startsWith('file:')) {
    return { kind: 'sqlite', url: `file:${join(ctx.workspaceRoot, url.slice(5))}`, file: join(ctx.workspaceRoot, url.slice(5)) };
  }
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: 'postgres', url };
  throw new UserError(`${ctx.envName}: the database URL must start with file: or postgres://; got '${url.split(':')[0]}:...'`);
}

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
