import { resolveDatabase, type DatabaseTarget } from '../config/database.ts';
import { UserError } from '../core/errors.ts';
import type { StepContext } from './step.ts';

/** The environment's database as this machine reaches it, and how to let go of that. */
export interface ReachedDatabase {
  db: DatabaseTarget;
  /** The server whose tunnel it goes through, when it does. */
  via?: string;
  close(): Promise<void>;
}

/**
 * The database for migrations, backups and restores: directly, or — where deploy.json says the
 * database is reachable only from the servers (`services.<project>.migrate.on: server`) — through
 * a port forwarded by the first server's SSH connection, so the same commands run here and their
 * connection starts there. The URL keeps its user, password and database; only the address changes.
 */
export async function reachDatabase(ctx: StepContext): Promise<ReachedDatabase> {
  const db = resolveDatabase(ctx);
  ctx.redactor.add(db.url);
  const direct = { db, close: async () => undefined };
  if (ctx.env.services[ctx.project.name]?.migrate?.on !== 'server') return direct;
  const where = `environments.${ctx.envName}.services.${ctx.project.name}.migrate.on`;
  if (db.kind !== 'postgres')
    throw new UserError(`${ctx.project.name}: ${where} is server, which needs a PostgreSQL database; ${ctx.envName}'s is SQLite`);
  const [first] = await ctx.servers.connect(ctx.project.name);
  if (!first) throw new UserError(`${ctx.project.name}: ${where} is server, but the service names no servers in ${ctx.envName}`);
  const url = new URL(db.url);
  const tunnel = await first.host.forward({ host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port || 5432) });
  url.hostname = '127.0.0.1';
  url.port = String(tunnel.port);
  ctx.log.info(`the database is reached through ${first.host.label} (an SSH tunnel, 127.0.0.1:${tunnel.port} here)`);
  ctx.redactor.add(url.href);
  return { db: { ...db, url: url.href }, via: first.host.label, close: tunnel.close };
}
