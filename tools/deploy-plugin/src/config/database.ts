import { join, relative, resolve } from 'node:path';
import { UserError } from '../core/errors.ts';
import type { PlanContext } from './context.ts';
import { fileSafeName } from '../core/names.ts';

export type DatabaseTarget = { url: string; template: string } & ({ kind: 'sqlite'; file: string } | { kind: 'postgres' });

/**
 * The database of a project in an environment: the URL from the variable deploy.json names, else
 * its file: URL, else a SQLite file in the state folder (the embedded development default).
 * `template` is how a service's settings refer to it: `${VARIABLE}` when it is a secret from a
 * variable, the URL itself otherwise. In plan mode (`lenient`) an unset variable shows as ${NAME}.
 */
export function resolveDatabase(ctx: PlanContext, lenient = false): DatabaseTarget {
  const db = ctx.env.database;
  const fromVariable = db?.urlVariable ? ctx.environ[db.urlVariable] || undefined : undefined;
  if (db?.urlVariable && !fromVariable && !db.url) {
    const ref = `\${${db.urlVariable}}`;
    if (lenient) return { kind: 'postgres', url: ref, template: ref };
    throw new UserError(
      `${ctx.envName}: the database URL is read from ${db.urlVariable} (deploy.json environments.${ctx.envName}.database.urlVariable), which is not set.`,
    );
  }
  const url =
    fromVariable ??
    db?.url ??
    `file:${relative(ctx.workspaceRoot, join(ctx.stateDir, 'data', ctx.envName, `${fileSafeName(ctx.project.name)}.sqlite`))}`;
  const template = fromVariable ? `\${${db!.urlVariable}}` : undefined;
  if (url.startsWith('file:')) {
    // file:relative/to/the/workspace, file:/absolute or file:///absolute
    const file = resolve(ctx.workspaceRoot, url.slice(5));
    return { kind: 'sqlite', url: `file:${file}`, file, template: template ?? `file:${file}` };
  }
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: 'postgres', url, template: template ?? url };
  throw new UserError(`${ctx.envName}: the database URL must start with file: or postgres://; got '${url.split(':')[0]}:...'`);
}
