import { z } from 'zod';
import { siteOf } from '../config/cdn.ts';
import type { PlanContext } from '../config/context.ts';
import { healthCheck, serviceUrl } from '../config/services.ts';
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

function targetOf(o: Options, ctx: PlanContext, settings: VerifySettings): SampleTarget {
  const timeoutMs = Math.min(5_000, parseDuration(settings.interval, 'verify.interval'));
  const base = { requestsMetric: o.requestsMetric, statusLabel: o.statusLabel, durationMetric: o.durationMetric, timeoutMs };
  if (o.site) {
    const url = siteOf(ctx.env, ctx.envName, ctx.project.name).url;
    return { ...base, healthUrl: url, healthOk: (s) => s >= 200 && s < 400 };
  }
  const url = serviceUrl(ctx);
  const service = ctx.env.services[ctx.project.name];
  const health = healthCheck(ctx);
  return {
    ...base,
    healthUrl: `${url}${health.path}`,
    healthOk: health.ok,
    readyUrl: service?.readyPath ? `${url}${service.readyPath}` : undefined,
    metricsUrl: service?.metricsPath ? `${url}${service.metricsPath}` : undefined,
  };
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
    const { judged, unjudged } = applicable(settings.triggers, targetOf(o, ctx, settings));
    return [
      { title: `watch for ${settings.window}, sampling every ${settings.interval}: ${judged.map(triggerLabel).join('; ') || 'health only'}` },
      ...(unjudged.length ? [{ title: `not judged here: ${unjudged.join('; ')}` }] : []),
    ];
  },

  async run(o, ctx) {
    const settings = ctx.env.verify;
    if (!settings) return { skipped: `no verification window in ${ctx.envName} (environments.${ctx.envName}.verify)` };
    const target = targetOf(o, ctx, settings);
    const { judged, unjudged } = applicable(settings.triggers, target);
    if (unjudged.length) ctx.log.info(`not judged for ${ctx.project.name}: ${unjudged.join('; ')}`);
    const windowMs = parseDuration(settings.window, 'verify.window');
    const intervalMs = parseDuration(settings.interval, 'verify.interval');
    const forMs = judged.map((t) => parseDuration(t.for, 'trigger for'));
    const series: Observation[][] = judged.map(() => []);
    /** Where each trigger's series starts being judged: after an alert cleared, only what came since. */
    const since = judged.map(() => 0);
    const started = Date.now();
    let previous: Scrape | undefined;
    /** Alert triggers that fired and have not cleared: resolved when their latest sample is fine again. */
    const open = new Set<string>();
    const findings: Assessment[] = [];
    const sent: string[] = [];
    // Sent beside the sampling, never awaited by it: a channel retrying must not delay a sample or a rollback.
    const alert = (...args: Parameters<typeof sendAlert>) => {
      void sendAlert(...args).then((how) => how && sent.push(how));
    };
    if (o.checks) {
      const base = o.site ? target.healthUrl : serviceUrl(ctx);
      const problems = await runtimeProblems(base, o.checks, ctx.environ);
      if (problems.length) throw new UserError(`${ctx.project.name}: the runtime checks failed:\n  ${problems.join('\n  ')}`);
      ctx.log.info(`runtime checks passed (${Object.keys(o.checks).join(', ')})`);
    }
    ctx.log.info(`verifying for ${settings.window}, a sample every ${settings.interval}`);
    for (let n = 0; ; n++) {
      const due = started + n * intervalMs;
      await sleepUntil(due, ctx.signal);
      if (ctx.signal.aborted) throw new UserError(`${String(ctx.signal.reason)} while verifying`);
      // The scheduled time, as Prometheus stamps scrapes: spans compare exactly with `for`, not with timer jitter.
      const at = n * intervalMs;
      const { round, scrape } = await sampleRound(target, at, previous);
      previous = scrape ?? previous;
      ctx.log.info(describeRound(round));
      judged.forEach((t, i) => {
        const obs = observe(t, round);
        if (obs) series[i]!.push(obs);
      });
      const assessed = judged.map((t, i) => assess(t, series[i]!.slice(since[i]), forMs[i]!));
      const rollback = assessed.find((a) => a.decision === 'rollback');
      if (rollback) {
        ctx.log.warn(`${rollback.label} fired at ${(at / 1000).toFixed(1)} s: rolling back`);
        alert(ctx, {
          condition: rollback.label,
          severity: rollback.trigger.severity,
          action: 'trigger',
          title: `rolling back: ${rollback.label}`,
          text: rollback.reason,
        });
        throw new TriggerFired(`${ctx.project.name}: verification failed: ${rollback.reason}`, rollback.label);
      }
      for (const [i, a] of assessed.entries()) {
        if ((a.decision === 'alert' || a.decision === 'inconclusive') && !open.has(a.label)) {
          open.add(a.label);
          findings.push(a);
          ctx.log.warn(`${a.decision === 'alert' ? `${a.trigger.severity} alert` : 'inconclusive'}: ${a.reason}`);
          alert(ctx, {
            condition: a.label,
            severity: a.decision === 'alert' ? a.trigger.severity : 'warning',
            action: 'trigger',
            title: a.decision === 'alert' ? a.label : `cannot judge ${a.label}`,
            text: a.reason,
          });
        } else if (open.has(a.label) && series[i]!.length && judgeSample(a.trigger, series[i]!.at(-1)!) === 'ok') {
          open.delete(a.label);
          since[i] = series[i]!.length;
          ctx.log.info(`cleared: ${a.label}`);
          alert(ctx, { condition: a.label, severity: a.trigger.severity, action: 'resolve', title: a.label, text: `${a.label}: back within bounds` });
        }
      }
      if (at >= windowMs) break;
    }
    await alertsSent();
    const kept = findings.length ? `kept; ${findings.map((f) => `${f.decision}: ${f.label}`).join('; ')}` : `healthy for ${settings.window}`;
    const detail = sent.length ? `${kept}; alerts: ${sent.join('; ')}` : kept;
    return { detail, url: target.healthUrl };
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
