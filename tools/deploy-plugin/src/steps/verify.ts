import { z } from 'zod';
import { siteOf } from '../config/cdn.ts';
import type { PlanContext } from '../config/context.ts';
import { healthCheck, serviceEndpoints } from '../config/services.ts';
import type { Trigger, VerifySettings } from '../config/verify.ts';
import { parseDuration } from '../core/duration.ts';
import { UserError } from '../core/errors.ts';
import { assess, judgeSample, triggerLabel, type Assessment, type Observation } from '../analysis/assess.ts';
import { alertsSent, sendAlert } from './alerting.ts';
import { runtimeChecksSchema, runtimeProblems } from './runtime-checks.ts';
import { describeRound, observe, sampleRound, type SampleTarget, type Scrape } from './verify-sample.ts';
import type { StepContext, StepDefinition } from './step.ts';

const options = z.strictObject({
  environment: z.string().optional(),
  site: z.boolean().default(false).describe("Watch the project's CDN site (inferred for frontends): its page is the health check"),
  requestsMetric: z.string().default('http_requests_total').describe('Counter of requests, labelled by status code'),
  statusLabel: z.string().default('status').describe("The requests counter's label holding the HTTP status (5xx are errors)"),
  durationMetric: z.string().default('http_request_duration_seconds').describe('Histogram of request durations, in seconds'),
  checks: runtimeChecksSchema.optional(),
});
type Options = z.infer<typeof options>;

/**
 * A verification stopped by a trigger: the deploy's steps undo themselves, the ledger keeps why,
 * and the alert it raised (`condition`) is resolved once the previous version serves again.
 */
export class TriggerFired extends UserError {
  readonly condition: string;

  constructor(message: string, condition: string) {
    super(message);
    this.condition = condition;
  }
}

/** What is watched: the site, or the service on each of its servers (each judged on its own metrics), or at its URL. */
function targetsOf(o: Options, ctx: PlanContext, settings: VerifySettings): { server?: string; base: string; target: SampleTarget }[] {
  const timeoutMs = Math.min(5_000, parseDuration(settings.interval, 'verify.interval'));
  const base = { requestsMetric: o.requestsMetric, statusLabel: o.statusLabel, durationMetric: o.durationMetric, timeoutMs };
  if (o.site) {
    const url = siteOf(ctx.env, ctx.envName, ctx.project.name).url;
    return [{ base: url, target: { ...base, healthUrl: url, healthOk: (s) => s >= 200 && s < 400 } }];
  }
  const service = ctx.env.services[ctx.project.name];
  const health = healthCheck(ctx);
  return serviceEndpoints(ctx).map(({ server, url }) => ({
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

/** The triggers that can be judged for this target; the others are said once and left out. */
function applicable(triggers: Trigger[], t: SampleTarget): { judged: Trigger[]; unjudged: string[] } {
  const unjudged: string[] = [];
  const judged = triggers.filter((tr) => {
    const why =
      tr.metric === 'ready' && !t.readyUrl
        ? 'no readyPath'
        : tr.metric !== 'health' && tr.metric !== 'ready' && !t.metricsUrl
          ? 'no metricsPath'
          : undefined;
    if (why) unjudged.push(`${triggerLabel(tr)} (${why})`);
    return !why;
  });
  return { judged, unjudged };
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
    const targets = targetsOf(o, ctx, settings);
    const { judged, unjudged } = applicable(settings.triggers, targets[0]!.target);
    if (unjudged.length) ctx.log.info(`not judged for ${ctx.project.name}: ${unjudged.join('; ')}`);
    const windowMs = parseDuration(settings.window, 'verify.window');
    const intervalMs = parseDuration(settings.interval, 'verify.interval');
    const forMs = judged.map((t) => parseDuration(t.for, 'trigger for'));
    // Each server is judged on its own samples: one bad server among good ones is not averaged away.
    const watched = targets.map((t) => ({
      ...t,
      prefix: t.server ? `${t.server}: ` : '',
      series: judged.map((): Observation[] => []),
      /** Where each trigger's series starts being judged: after an alert cleared, only what came since. */
      since: judged.map(() => 0),
      previous: undefined as Scrape | undefined,
    }));
    const started = Date.now();
    /** Alert triggers that fired and have not cleared: resolved when their latest sample is fine again. */
    const open = new Set<string>();
    const findings: Assessment[] = [];
    const sent: string[] = [];
    // Sent beside the sampling, never awaited by it: a channel retrying must not delay a sample or a rollback.
    const alert = (...args: Parameters<typeof sendAlert>) => {
      void sendAlert(...args).then((how) => how && sent.push(how));
    };
    if (o.checks) {
      for (const { base } of watched) {
        const problems = await runtimeProblems(base, o.checks, ctx.environ);
        if (problems.length) throw new UserError(`${ctx.project.name}: the runtime checks failed on ${base}:\n  ${problems.join('\n  ')}`);
      }
      ctx.log.info(`runtime checks passed (${Object.keys(o.checks).join(', ')})`);
    }
    ctx.log.info(`verifying for ${settings.window}, a sample every ${settings.interval}${watched.length > 1 ? ` on ${watched.length} servers` : ''}`);
    for (let n = 0; ; n++) {
      const due = started + n * intervalMs;
      await sleepUntil(due, ctx.signal);
      if (ctx.signal.aborted) throw new UserError(`${String(ctx.signal.reason)} while verifying`);
      // The scheduled time, as Prometheus stamps scrapes: spans compare exactly with `for`, not with timer jitter.
      const at = n * intervalMs;
      const rounds = await Promise.all(watched.map((w) => sampleRound(w.target, at, w.previous)));
      for (const [i, w] of watched.entries()) {
        const { round, scrape } = rounds[i]!;
        w.previous = scrape ?? w.previous;
        ctx.log.info(`${w.prefix}${describeRound(round)}`);
        judged.forEach((t, k) => {
          const obs = observe(t, round);
          if (obs) w.series[k]!.push(obs);
        });
      }
      for (const w of watched) {
        const assessed = judged.map((t, k) => assess(t, w.series[k]!.slice(w.since[k]), forMs[k]!));
        const rollback = assessed.find((a) => a.decision === 'rollback');
        if (rollback) {
          const label = `${w.prefix}${rollback.label}`;
          ctx.log.warn(`${label} fired at ${(at / 1000).toFixed(1)} s: rolling back${watched.length > 1 ? ' every server' : ''}`);
          alert(ctx, {
            condition: label,
            severity: rollback.trigger.severity,
            action: 'trigger',
            title: `rolling back: ${label}`,
            text: `${w.prefix}${rollback.reason}`,
          });
          throw new TriggerFired(`${ctx.project.name}: verification failed: ${w.prefix}${rollback.reason}`, label);
        }
        for (const [k, a] of assessed.entries()) {
          const label = `${w.prefix}${a.label}`;
          if ((a.decision === 'alert' || a.decision === 'inconclusive') && !open.has(label)) {
            open.add(label);
            findings.push({ ...a, label });
            ctx.log.warn(`${a.decision === 'alert' ? `${a.trigger.severity} alert` : 'inconclusive'}: ${w.prefix}${a.reason}`);
            alert(ctx, {
              condition: label,
              severity: a.decision === 'alert' ? a.trigger.severity : 'warning',
              action: 'trigger',
              title: a.decision === 'alert' ? label : `cannot judge ${label}`,
              text: `${w.prefix}${a.reason}`,
            });
          } else if (open.has(label) && w.series[k]!.length && judgeSample(a.trigger, w.series[k]!.at(-1)!) === 'ok') {
            open.delete(label);
            w.since[k] = w.series[k]!.length;
            ctx.log.info(`cleared: ${label}`);
            alert(ctx, { condition: label, severity: a.trigger.severity, action: 'resolve', title: label, text: `${label}: back within bounds` });
          }
        }
      }
      if (at >= windowMs) break;
    }
    await alertsSent();
    const kept = findings.length ? `kept; ${findings.map((f) => `${f.decision}: ${f.label}`).join('; ')}` : `healthy for ${settings.window}`;
    const detail = sent.length ? `${kept}; alerts: ${sent.join('; ')}` : kept;
    return { detail, url: watched[0]!.target.healthUrl };
  },
};

function sleepUntil(when: number, signal: AbortSignal): Promise<void> {
  const ms = when - Date.now();
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}
