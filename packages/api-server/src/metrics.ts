import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Bucket upper bounds of http_request_duration_seconds, in seconds. The runbook's latency
 * thresholds (1 s and 2 s) and the deploy's p95 rollback triggers (deploy.json: 500 ms in
 * production, 800 ms in staging) are bucket bounds on purpose: "how many requests took longer than
 * the threshold" is then an exact count (count - bucket{le=threshold}), not an interpolation
 * between two neighbouring buckets, so a comparison at the threshold is exact.
 */
export const DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.8, 1, 2, 5, 10] as const;

/**
 * Routes left out of http_requests_total and http_request_duration_seconds: probes, scrapes and
 * the test-only fault switch. They are polled all the time, so counting them would dilute the
 * error rate and pull the latency quantiles down. Requests to unknown routes are still counted,
 * with route="unmatched".
 */
export const UNMEASURED_ROUTES: ReadonlySet<string> = new Set(['/metrics', '/health', '/ready', '/_faults']);

/**
 * Prometheus metrics on a registry of this app's own (not prom-client's global one), so several
 * apps in one process (tests) do not clash. Routes are labelled by pattern, not raw URL, to keep
 * label cardinality bounded. The status label is the numeric HTTP status code, so the error rate
 * is sum(http_requests_total{status=~"5.."}) / sum(http_requests_total).
 */
export function registerMetrics(app: FastifyInstance, isDatabaseUp: () => Promise<boolean>): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests handled (not /health, /ready, /metrics, /_faults), by method, route pattern and status code',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds (not /health, /ready, /metrics, /_faults), by method, route pattern and status code',
    labelNames,
    buckets: [...DURATION_BUCKETS_SECONDS],
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
    const route = request.routeOptions.url ?? 'unmatched';
    if (UNMEASURED_ROUTES.has(route)) return;
    const labels = {
      method: request.method,
      route,
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
