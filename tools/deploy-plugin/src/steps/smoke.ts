import { z } from 'zod';
import { interpolate, interpolateRecord } from '../core/interpolate.ts';
import { probe, waitUntil } from '../core/http.ts';
import { UserError } from '../core/errors.ts';
import { healthCheck, healthPathHint, serviceUrl } from '../config/services.ts';
import { judge, smokeCheckSchema, type SmokeCheck } from './smoke-checks.ts';
import type { PlanContext } from '../config/context.ts';
import type { StepContext, StepDefinition } from './step.ts';

const options = z.strictObject({
  environment: z.string().optional(),
  baseUrl: z.url().optional().describe("Defaults to the project's service URL in deploy.json"),
  checks: z
    .array(smokeCheckSchema)
    .min(1, { error: 'declare at least one check' })
    .optional()
    .describe("Default: GET the service's healthPath (deploy.json) expecting 200; with none declared, GET / expecting 2xx or 3xx"),
  deadlineMs: z.int().positive().default(30_000).describe('Keep retrying failing checks until this long has passed'),
  intervalMs: z.int().positive().default(1_000),
  requestTimeoutMs: z.int().positive().default(5_000),
});

async function runCheck(check: SmokeCheck, base: string, ctx: StepContext, timeoutMs: number): Promise<string | undefined> {
  const headers = interpolateRecord(check.headers, ctx.environ, `smoke check '${check.name}' header`);
  let failure: string | undefined;
  for (let i = 0; i < check.attempts; i++) {
    const res = await probe(`${base}${check.path}`, { method: check.method, headers, body: check.body, timeoutMs });
    failure = judge(check, res);
    if (!failure) return undefined;
  }
  return check.attempts > 1 ? `${failure} (after ${check.attempts} requests)` : failure;
}

/** The checks to run: the configured ones, else the service's health check (healthPath, or GET /). */
function checksOf(o: z.infer<typeof options>, ctx: PlanContext): SmokeCheck[] {
  if (o.checks) return o.checks;
  const health = healthCheck(ctx);
  const status = health.configured ? 200 : '2xx|3xx';
  return [{ name: health.configured ? 'health' : 'root', path: health.path, method: 'GET', headers: {}, expect: { status }, attempts: 1 }];
}

export const smokeStep: StepDefinition<typeof options> = {
  options,

  plan(o, ctx) {
    const base = interpolate(serviceUrl(ctx, o.baseUrl), ctx.environ, 'baseUrl', true);
    return checksOf(o, ctx).map((c) => ({
      title: `${c.name}: ${c.method} ${base}${c.path} expects ${c.expect.status}${c.attempts > 1 ? ` within ${c.attempts} requests` : ''}`,
    }));
  },

  async run(o, ctx) {
    const base = serviceUrl(ctx, o.baseUrl);
    const checks = checksOf(o, ctx);
    // Checks run in order and the set is retried until it passes: a fresh roll-out may need a moment.
    const failure = await waitUntil(
      async () => {
        for (const check of checks) {
          const why = await runCheck(check, base, ctx, o.requestTimeoutMs);
          if (why) return `${check.name}: ${why}`;
          ctx.log.info(`ok  ${check.name}`);
        }
        return undefined;
      },
      { deadlineMs: o.deadlineMs, intervalMs: o.intervalMs, signal: ctx.signal, onRetry: (why, n) => ctx.log.info(`not yet (attempt ${n}): ${why}`) },
    );
    if (failure) {
      const hint = o.checks ? '' : healthPathHint(ctx, healthCheck(ctx));
      throw new UserError(`${ctx.project.name}: smoke test failed on ${base}: ${failure}.${hint}`);
    }
    return { url: base, detail: `${checks.length} checks passed` };
  },
};
