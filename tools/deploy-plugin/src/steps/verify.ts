import { z } from 'zod';
import { siteOf } from '../config/cdn.ts';
import type { PlanContext } from '../config/context.ts';
import { healthCheck, serviceEndpoints } from '../config/services.ts';
import type { Trigger, VerifySettings } from '../config/verify.ts';
import { parseDuration } from '../core/duration.ts';
import { UserError } from '../core/errors.ts';
import { triggerLabel } from '../analysis/assess.ts';
import { alertsSent } from '../step-kit/alerting.ts';
import { runtimeChecksSchema, runtimeProblems } from '../step-kit/runtime-checks.ts';
import type { SampleTarget } from '../step-kit/verify-sample.ts';
import { applicable, watch } from '../step-kit/watch.ts';
import type { StepContext, StepDefinition } from '../step-kit/step.ts';

const options = z.strictObject({
  environment: z.string().optional(),
  site: z.boolean().default(false).describe("Watch the project's CDN site (inferred for frontends): its page is the health check"),
  requestsMetric: z.string().default('http_requests_total').describe('Counter of requests, labelled by status code'),
  statusLabel: z.string().default('status').describe("The requests counter's label holding the HTTP status (5xx are errors)"),
  durationMetric: z.string().default('http_request_duration_seconds').describe('Histogram of request durations, in seconds'),
  checks: runtimeChecksSchema.optional(),
});
type Options = z.infer<typeof options>;

/** The metric names verification reads by default (prom-client's conventions). */
export const DEFAULT_METRICS = options.pick({ site: true, requestsMetric: true, statusLabel: true, durationMetric: true }).parse({});

/**
 * What is watched: the site; or the service on each of its servers (each judged on its own
 * metrics), or at its URL; behind the proxy, the new version itself on its private port (what
 * the previous version answers, warm beside it, does not dilute what the new one does).
 */
export function targetsOf(
  o: Pick<Options, 'site' | 'requestsMetric' | 'statusLabel' | 'durationMetric'>,
  ctx: PlanContext,
  settings: VerifySettings,
  direct?: { server?: string; url: string }[],
): { server?: string; base: string; target: SampleTarget }[] {
  const timeoutMs = Math.min(5_000, parseDuration(settings.interval, 'verify.interval'));
  const base = { requestsMetric: o.requestsMetric, statusLabel: o.statusLabel, durationMetric: o.durationMetric, timeoutMs };
  if (o.site) {
    const url = siteOf(ctx.env, ctx.envName, ctx.project.name).url;
    return [{ base: url, target: { ...base, healthUrl: url, healthOk: (s) => s >= 200 && s < 400 } }];
  }
  const service = ctx.env.services[ctx.project.name];
  const health = healthCheck(ctx);
  return (direct ?? serviceEndpoints(ctx)).map(({ server, url }) => ({
    server,
    base: url,
    target: {
      ...base,
      healthUrl: `${url}${health.path}`,
      healthOk: health.ok,
      readyUrl: service?.readyPath ? `${url}${service.readyPath}` : undefined,
      metricsUrl: service?.metricsPath ? `${url}${service.metricsPath}` : undefined,
    },
  }));
}

/** Behind the proxy: where this deploy's roll-out says the new version answers directly. */
export function newVersionDirect(ctx: StepContext): { server?: string; url: string }[] | undefined {
  return ctx.results.findLast((r) => r.direct)?.direct;
}

export const verifyStep: StepDefinition<typeof options> = {
  options,

  plan(o, ctx) {
    const settings = ctx.env.verify;
    if (!settings) return [{ title: `no verification window in ${ctx.envName} (environments.${ctx.envName}.verify): skipped` }];
    const targets = targetsOf(o, ctx, settings);
    const { judged, unjudged } = applicable(settings.triggers, targets[0]!.target);
    const each = targets.length > 1 ? ` on each of ${targets.length} servers (a trigger on any rolls all back)` : '';
    return [
      { title: `watch for ${settings.window}${each}, sampling every ${settings.interval}: ${judged.map(triggerLabel).join('; ') || 'health only'}` },
      ...(unjudged.length ? [{ title: `not judged here: ${unjudged.join('; ')}` }] : []),
    ];
  },

  async run(o, ctx) {
    const settings = ctx.env.verify;
    if (!settings) return { skipped: `no verification window in ${ctx.envName} (environments.${ctx.envName}.verify)` };
    const targets = targetsOf(o, ctx, settings, newVersionDirect(ctx));
    const { unjudged } = applicable(settings.triggers, targets[0]!.target);
    if (unjudged.length) ctx.log.info(`not judged for ${ctx.project.name}: ${unjudged.join('; ')}`);
    const windowMs = parseDuration(settings.window, 'verify.window');
    const intervalMs = parseDuration(settings.interval, 'verify.interval');
    if (o.checks) {
      for (const { base } of targets) {
        const problems = await runtimeProblems(base, o.checks, ctx.environ);
        if (problems.length) throw new UserError(`${ctx.project.name}: the runtime checks failed on ${base}:\n  ${problems.join('\n  ')}`);
      }
      ctx.log.info(`runtime checks passed (${Object.keys(o.checks).join(', ')})`);
    }
    ctx.log.info(`verifying for ${settings.window}, a sample every ${settings.interval}${targets.length > 1 ? ` on ${targets.length} servers` : ''}`);
    const { findings, sent, record } = await watch(ctx, { targets, triggers: settings.triggers, windowMs, intervalMs, what: 'verification' });
    await alertsSent();
    const kept = findings.length ? `kept; ${findings.map((f) => `${f.decision}: ${f.label}`).join('; ')}` : `healthy for ${settings.window}`;
    const detail = sent.length ? `${kept}; alerts: ${sent.join('; ')}` : kept;
    return { detail, url: targets[0]!.target.healthUrl, watches: [record] };
  },
};
