import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { checkAgentsTable } from '../agents-store.js';
import type { Database } from '../db/database.js';
import { describeError } from '../db/open.js';

export function registerHealthRoutes(
  app: FastifyInstance,
  opts: {
    db: Database;
    version: string;
    gitSha: string;
    /** Fault injection (tests only): a delay before answering /health. */
    delay?: onRequestAsyncHookHandler | undefined;
  },
) {
  // Liveness: the process answers; deliberately no database access.
  app.get('/health', { onRequest: opts.delay ? [opts.delay] : [] }, async () => ({ status: 'ok', version: opts.version, gitSha: opts.gitSha }));

  // Readiness: the database answers and is migrated (a missing agents table counts as down).
  app.get('/ready', async (_request, reply) => {
    try {
      await checkAgentsTable(opts.db);
      return { status: 'ready', database: 'up' };
    } catch (err) {
      return reply.code(503).send({ status: 'not_ready', database: 'down', error: describeError(err) });
    }
  });
}
