import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics on a registry of this app's own (not prom-client's global one), so several
 * apps in one process (tests) do not clash. Routes are labelled by pattern, not raw URL, to keep
 * label cardinality bounded.
 */
export function registerMetrics(app: FastifyInstance, isDatabaseUp: () => Promise<boolean>): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests handled, by method, route pattern and status code',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, route pattern and status code',
    labelNames,
    registers: [registry],
  });
  new Gauge({
    name: 'database_up',
    help: '1 when the agents table can be queried, 0 otherwise (checked on each scrape)',
    registers: [registry],
    async collect() {
      this.set((await isDatabaseUp()) ? 1 : 0);
    },
  });

  app.addHook('onResponse', async (request, reply) => {
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status: String(reply.statusCode),
    };
    requests.inc(labels);
    duration.observe(labels, reply.elapsedTime / 1000);
  });

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  return registry;
}
