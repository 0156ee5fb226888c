import { z } from 'zod';
import { budgetMisses, describeLoad, passingLoadTest, worstOf } from '../analysis/load-budget.ts';
import { serviceEndpoints } from '../config/services.ts';
import { parseDuration } from '../core/duration.ts';
import { UserError } from '../core/errors.ts';
import { interpolateRecord } from '../core/interpolate.ts';
import type { LoadMeasurement, LoadTestRecord } from '../core/load-measurement.ts';
import { generateLoad } from '../step-kit/load-generator.ts';
import { StepFailedWithResult, type StepContext, type StepDefinition } from '../step-kit/step.ts';

const options = z.strictObject({ environment: z.string().optional() });

/** Production's gate: the same commit passed a load test in the required environment recently, or the deploy stops here. */
async function requirePassed(ctx: StepContext): Promise<void> {
  const require = ctx.env.loadtest?.require;
  if (!require) return;
  const maxAgeMs = parseDuration(require.maxAge, `environments.${ctx.envName}.loadtest.require.maxAge`);
  const { records } = await (await ctx.ledgerOf(require.environment)).read(require.environment);
  const found = passingLoadTest(
    records.filter((r) => r.project === ctx.project.name),
    ctx.gitSha,
    Date.now(),
    maxAgeMs,
  );
  if ('problem' in found)
    throw new UserError(
      `${ctx.envName} needs a passing load test of ${ctx.project.name} at this commit (${ctx.gitSha.slice(0, 12)}) on ${require.environment} ` +
        `within ${require.maxAge}, and ${found.problem}; nothing was changed. Deploy this commit to ${require.environment} first ` +
        `(its deploy runs the load test: environments.${require.environment}.loadtest.budget).`,
    );
  ctx.log.info(
    `load test of this commit passed on ${require.environment} (${found.record.id}, ${found.record.finishedAt}): ${describeLoad(found.record.loadtest!)}`,
  );
}

/**
 * The runbook's load test: after the roll-out, autocannon drives the service at the configured
 * path for a while, every response time goes into an HDR histogram, and the numbers (p50/p95/
 * p99, error rate, throughput) are judged against the environment's budget and kept in the
 * ledger. Where `require` is set (production), the deploy is refused before anything changes
 * unless the same commit passed one recently in the named environment.
 */
export const loadtestStep: StepDefinition<typeof options> = {
  options,

  plan(_o, ctx) {
    const l = ctx.env.loadtest;
    if (!l) return [{ title: `no load test in ${ctx.envName} (environments.${ctx.envName}.loadtest)` }];
    return [
      ...(l.require
        ? [{ title: `before anything changes: require a passing load test of this commit on ${l.require.environment} within ${l.require.maxAge}` }]
        : []),
      ...(l.budget
        ? [
            {
              title: `${l.method} ${serviceEndpoints(ctx)
                .map((e) => `${e.url}${l.path}`)
                .join(', then ')} for ${l.duration} over ${l.connections} connections; budget ${JSON.stringify(l.budget)}`,
            },
          ]
        : []),
    ];
  },

  preflight: (_o, ctx) => requirePassed(ctx),

  async run(_o, ctx) {
    const l = ctx.env.loadtest;
    if (!l?.budget) return { skipped: l ? 'only required here: the load test ran where it is required from' : `no load test in ${ctx.envName}` };
    const budget = l.budget;
    const durationS = parseDuration(l.duration, `environments.${ctx.envName}.loadtest.duration`) / 1000;
    // Each server on its own, one after another: a slow server is not hidden behind a fast one.
    const measured: { server?: string; url: string; m: LoadMeasurement }[] = [];
    for (const { server, url: base } of serviceEndpoints(ctx)) {
      const url = `${base}${l.path}`;
      ctx.log.info(`load test: ${l.method} ${url} for ${durationS} s over ${l.connections} connections`);
      const m = await generateLoad({
        url,
        method: l.method,
        headers: interpolateRecord(l.headers, ctx.environ, `environments.${ctx.envName}.loadtest.headers`),
        durationS,
        connections: l.connections,
        signal: ctx.signal,
        progress: (answered, elapsed) => ctx.log.info(`  ${elapsed} s: ${answered} answered`),
      });
      ctx.log.info(`load test${server ? ` of ${server}` : ''}: ${describeLoad(m)}`);
      measured.push({ server, url, m });
    }
    const overall = measured.length === 1 ? measured[0]!.m : worstOf(measured.map((x) => x.m));
    const misses = measured.flatMap(({ server, m }) => budgetMisses(m, budget).map((miss) => (server ? `${server}: ${miss}` : miss)));
    const loadtest: LoadTestRecord = {
      ...overall,
      passed: misses.length === 0,
      url: measured[0]!.url,
      connections: l.connections,
      budget,
      ...(measured.length > 1
        ? { servers: measured.map(({ server, url, m }) => ({ ...m, server: server!, url, passed: budgetMisses(m, budget).length === 0 })) }
        : {}),
    };
    if (misses.length)
      throw new StepFailedWithResult(`${ctx.project.name}: the load test missed its budget: ${misses.join('; ')} (${describeLoad(overall)})`, {
        loadtest,
      });
    return {
      loadtest,
      detail: `p95 ${overall.p95Ms} ms, p99 ${overall.p99Ms} ms, ${overall.rps} req/s, errors ${(overall.errorRate * 100).toFixed(2)}%${measured.length > 1 ? ` (worst of ${measured.length} servers)` : ''}`,
    };
  },
};
