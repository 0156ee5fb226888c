import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createAuth } from './auth.js';
import { MAX_FAULT_LATENCY_MS, type FaultSettings } from './config.js';
import type { Database } from './db/database.js';

/**
 * Fault injection, for tests only: config.ts enables it only with FAULT_INJECTION=enabled, where
 * APP_ENV is development or test. Faulted requests go through the app like real ones (the metrics hook
 * counts a 500 as a 5xx, an added delay shows in the duration histogram), since the point is to
 * trip the deploy's rollback triggers.
 */
export class Faults {
  #settings: FaultSettings;
  /** /v1 requests seen since the error rate was last set; drives the deterministic spread. */
  #index = 0;

  constructor(initial: FaultSettings) {
    this.#settings = { ...initial };
  }

  get settings(): FaultSettings {
    return { ...this.#settings };
  }

  /** Changes the given settings only. Setting errorRate restarts the spread (see nextFails). */
  update(change: Partial<FaultSettings>): FaultSettings {
    if (change.errorRate !== undefined) {
      this.#settings.errorRate = change.errorRate;
      this.#index = 0;
    }
    if (change.latencyMs !== undefined) this.#settings.latencyMs = change.latencyMs;
    if (change.dbDown !== undefined) this.#settings.dbDown = change.dbDown;
    return this.settings;
  }

  /**
   * Whether the next /v1 request fails. Deterministic, counter-based: request n (1, 2, ...
   * counted from the last time errorRate was set) fails when floor(n * rate) > floor((n - 1) * rate),
   * i.e. when the running total of "owed" failures crosses an integer. Rate 0.25 fails requests
   * 4, 8, 12, ...; 0.1 fails exactly 1 in every 10; 1 fails all; 0 none. The tiny epsilon keeps
   * binary rounding (0.57 * 100 = 56.99999999999999) from moving a failure by one request.
   */
  nextFails(): boolean {
    this.#index += 1;
    const rate = this.#settings.errorRate;
    const owed = (n: number) => Math.floor(n * rate + 1e-9);
    return owed(this.#index) > owed(this.#index - 1);
  }

  /** onRequest hook of the /v1 scope: decide the error at arrival, then delay, then answer. */
  readonly v1Hook = async (request: FastifyRequest, reply: FastifyReply) => {
    const fail = this.nextFails();
    await this.delay();
    if (fail) {
      request.log.warn('injected fault: answering 500');
      return reply.code(500).send({ error: 'internal_error', message: 'injected fault' });
    }
  };

  /** onRequest hook of /health: only the delay. */
  readonly delay = async () => {
    const ms = this.#settings.latencyMs;
    if (ms > 0) await sleep(ms);
  };
}

/**
 * The database as the app sees it with fault injection on: while dbDown is set, every operation
 * fails the way an unreachable database does, so /ready answers its usual 503 (database "down"),
 * database_up reads 0 and /v1 routes fail exactly as they would in a real outage.
 */
export function withFaultyDatabase(db: Database, faults: Faults): Database {
  const down = () => Promise.reject(new Error('database unreachable (injected fault: dbDown)'));
  return {
    dialect: db.dialect,
    query: <T>(sql: string, params?: readonly unknown[]) => (faults.settings.dbDown ? down() : db.query<T>(sql, params)),
    exec: (sql) => (faults.settings.dbDown ? down() : db.exec(sql)),
    transaction: (fn) => (faults.settings.dbDown ? down() : db.transaction(fn)),
    close: () => db.close(),
  };
}

const FAULT_KEYS: readonly string[] = ['errorRate', 'latencyMs', 'dbDown'] satisfies Array<keyof FaultSettings>;

const faultsBody = {
  type: 'object',
  // No additionalProperties: false, which Fastify's Ajv silently strips: the handler answers 400
  // for an unknown key, so a typo ("errorrate") is not taken for "no change".
  properties: {
    errorRate: { type: 'number', minimum: 0, maximum: 1 },
    latencyMs: { type: 'integer', minimum: 0, maximum: MAX_FAULT_LATENCY_MS },
    dbDown: { type: 'boolean' },
  },
} as const;

/**
 * GET /_faults (current settings) and POST /_faults (change some, answer all), so a test can
 * inject a fault into a server that is already running. Registered on the root instance only when
 * fault injection is enabled; they answer only requests bearing FAULT_TOKEN (401 otherwise), are not
 * rate limited and not counted in the request metrics.
 */
export function registerFaultRoutes(app: FastifyInstance, faults: Faults, token: string) {
  const auth = { preValidation: createAuth(new Map([[token, new Set(['faults'])]]))('faults') };
  app.get('/_faults', auth, async () => faults.settings);
  app.post<{ Body: Partial<FaultSettings> }>('/_faults', { ...auth, schema: { body: faultsBody } }, async (request, reply) => {
    const unknown = Object.keys(request.body).find((key) => !FAULT_KEYS.includes(key));
    if (unknown !== undefined) {
      return reply.code(400).send({ error: 'bad_request', message: `body/${unknown} is not a fault (expected ${FAULT_KEYS.join(', ')})` });
    }
    const settings = faults.update(request.body);
    request.log.warn({ faults: settings }, 'injected faults changed');
    return settings;
  });
}
