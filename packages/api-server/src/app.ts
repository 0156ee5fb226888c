import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { checkAgentsTable } from './agents-store.js';
import { createAuth } from './auth.js';
import { parseTrustProxy, type Config } from './config.js';
import type { Database } from './db/database.js';
import { Faults, registerFaultRoutes, withFaultyDatabase } from './faults.js';
import { registerMetrics } from './metrics.js';
import { registerAgentRoutes } from './routes/agents.js';
import { registerHealthRoutes } from './routes/health.js';

export interface AppOptions {
  config: Pick<Config, 'apiTokens' | 'rateLimitMax' | 'rateLimitWindowMs' | 'appVersion' | 'gitSha' | 'corsOrigins'> &
    Partial<Pick<Config, 'logLevel' | 'faults' | 'trustProxy'>>;
  /** Owned by the app from now on: closed when the app closes. */
  db: Database;
}

/** The whole HTTP API, not yet listening. main.ts listens; tests listen on port 0. */
export async function buildApp({ config, db: realDb }: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: config.logLevel ?? 'warn' },
    // No type coercion: {"name": 42} must be a 400, not an agent called "42".
    ajv: { customOptions: { coerceTypes: false } },
    // request.ip (what the rate limit counts) is the client's, through the proxies trusted here.
    trustProxy: config.trustProxy ?? parseTrustProxy(undefined),
  });
  // Fault injection (tests only; config.ts allows it only in development and test). Without it, none of its
  // hooks, routes or database wrapper exist.
  const faults = config.faults ? new Faults(config.faults.initial) : undefined;
  const db = faults ? withFaultyDatabase(realDb, faults) : realDb;
  if (faults) app.log.warn({ faults: faults.settings }, 'FAULT INJECTION ENABLED (tests only): POST /_faults changes the faults');
  app.addHook('onClose', async () => db.close());
  // Every answer says which version gave it: behind a proxy that switches versions, a client (and a
  // test counting requests during a cut-over) can tell them apart.
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('x-app-version', config.appVersion).header('x-app-revision', config.gitSha);
  });

  // CORS first, on the root instance: its onRequest hook then runs before everything else on every
  // route (probes, metrics, /v1, the 404 handler), and it answers preflights itself, before the
  // /v1 rate limiter and the bearer-token checks. No origins configured: no CORS headers at all.
  if (config.corsOrigins.length > 0) {
    const allowed = new Set(config.corsOrigins);
    await app.register(cors, {
      // A function rather than the list: requests without an allowed Origin (curl, probes, other
      // sites) go on as if there were no CORS, and an OPTIONS from them is the usual 404.
      origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type'],
      maxAge: 600,
    });
  }

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      return reply.code(400).send({ error: 'bad_request', message: error.message });
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      return reply.code(status).send({ error: 'internal_error', message: 'internal server error' });
    }
    const code = status === 429 ? 'rate_limited' : 'bad_request';
    return reply.code(status).send({ error: code, message: error.message });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` }),
  );

  const isDatabaseUp = () =>
    checkAgentsTable(db).then(
      () => true,
      () => false,
    );
  registerMetrics(app, isDatabaseUp);
  registerHealthRoutes(app, { db, version: config.appVersion, gitSha: config.gitSha, delay: faults?.delay });
  if (faults) registerFaultRoutes(app, faults, config.faults!.token);

  const requireScope = createAuth(config.apiTokens);
  if (config.apiTokens.size === 0) app.log.warn('API_TOKENS is empty: every /v1 request will get 401');
  await app.register(
    async (v1) => {
      // Before the limiter (a broken release fails whatever the traffic; a test can drive any
      // error rate through a low limit), the token check and the handlers.
      if (faults) v1.addHook('onRequest', faults.v1Hook);
      // Registered inside this scope, the limiter applies to /v1 routes only (not probes or metrics).
      await v1.register(rateLimit, { max: config.rateLimitMax, timeWindow: config.rateLimitWindowMs });
      registerAgentRoutes(v1, { db, requireScope });
    },
    { prefix: '/v1' },
  );
  return app;
}
