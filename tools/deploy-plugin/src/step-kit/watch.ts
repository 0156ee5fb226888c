import type { Trigger } from '../config/verify.ts';
import { UserError } from '../core/errors.ts';
import { parseDuration } from '../core/duration.ts';
import { METRIC_STRATEGIES } from '../analysis/metrics.ts';
import { assess, judgeSample, triggerLabel, type Assessment, type Observation } from '../analysis/assess.ts';
import { sendAlert } from './alerting.ts';
import type { WatchRecord } from '../core/watch-record.ts';
import { columnsFor, describeRound, observe, recordRound, sampleRound, type SampleTarget, type Scrape } from './verify-sample.ts';
import { TriggerFired, type StepContext } from './step.ts';

/** One thing watched: a service on one host (labelled by its server), or a site. */
export interface WatchTarget {
  server?: string;
  target: SampleTarget;
}

/** The triggers that can be judged for this target; the others are said once and left out. */
export function applicable(triggers: Trigger[], t: SampleTarget): { judged: Trigger[]; unjudged: string[] } {
  const unjudged: string[] = [];
  const judged = triggers.filter((tr) => {
    const source = METRIC_STRATEGIES[tr.metric].source;
    const why = source === 'ready' && !t.readyUrl ? 'no readyPath' : source === 'metrics' && !t.metricsUrl ? 'no metricsPath' : undefined;
    if (why) unjudged.push(`${triggerLabel(tr)} (${why})`);
    return !why;
  });
  return { judged, unjudged };
}

/**
 * Samples every target each `intervalMs` for `windowMs` (health, readiness, a metrics scrape) and
 * judges each on its own samples with the triggers: one bad server among good ones is not averaged
 * away. A rollback trigger throws TriggerFired; alert triggers (and samples that cannot be judged)
 * alert once and resolve when they clear. Alerts go out beside the sampling, never awaited by it.
 * Resolves to what it found, the alerts sent and the record of every sample for the ledger (also
 * carried by TriggerFired).
 */
export async function watch(
  ctx: StepContext,
  o: { targets: WatchTarget[]; triggers: Trigger[]; windowMs: number; intervalMs: number; what: string },
): Promise<{ findings: Assessment[]; sent: string[]; record: WatchRecord }> {
  const { judged } = applicable(o.triggers, o.targets[0]!.target);
  const { windowMs, intervalMs } = o;
  const forMs = judged.map((t) => parseDuration(t.for, 'trigger for'));
  const watched = o.targets.map((t) => ({
    ...t,
    prefix: t.server ? `${t.server}: ` : '',
    series: judged.map((): Observation[] => []),
    /** Where each trigger's series starts being judged: after an alert cleared, only what came since. */
    since: judged.map(() => 0),
    previous: undefined as Scrape | undefined,
    columns: columnsFor(t.target, t.server),
  }));
  const started = Date.now();
  const record: WatchRecord = {
    what: o.what,
    startedAt: new Date(started).toISOString(),
    intervalMs,
    windowMs,
    triggers: judged.map((t, k) => ({
      label: triggerLabel(t),
      metric: t.metric,
      ...(t.threshold === undefined ? {} : { threshold: t.threshold }),
      forMs: forMs[k]!,
      action: t.action,
      minRequests: t.minRequests,
    })),
    targets: watched.map((w) => w.columns),
  };
  const alerted = (atMs: number, condition: string, action: 'trigger' | 'resolve') => (record.alerts ??= []).push({ atMs, condition, action });
  /** Alert triggers that fired and have not cleared: resolved when their latest sample is fine again. */
  const open = new Set<string>();
  const findings: Assessment[] = [];
  const sent: string[] = [];
  const alert = (...args: Parameters<typeof sendAlert>) => {
    void sendAlert(...args).then((how) => how && sent.push(how));
  };
  for (let n = 0; ; n++) {
    const due = started + n * intervalMs;
    await sleepUntil(due, ctx.signal);
    if (ctx.signal.aborted) throw new UserError(`${String(ctx.signal.reason)} while ${o.what}`);
    // The scheduled time, as Prometheus stamps scrapes: spans compare exactly with `for`, not with timer jitter.
    const at = n * intervalMs;
    const rounds = await Promise.all(watched.map((w) => sampleRound(w.target, at, w.previous)));
    for (const [i, w] of watched.entries()) {
      const { round, scrape } = rounds[i]!;
      w.previous = scrape ?? w.previous;
      recordRound(w.columns, round);
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
        record.fired = { label: rollback.label, ...(w.server ? { server: w.server } : {}), fromMs: rollback.samples[0]!.at, atMs: at };
        throw new TriggerFired(`${ctx.project.name}: ${o.what} failed: ${w.prefix}${rollback.reason}`, label, { watches: [record] });
      }
      for (const [k, a] of assessed.entries()) {
        const label = `${w.prefix}${a.label}`;
        if ((a.decision === 'alert' || a.decision === 'inconclusive') && !open.has(label)) {
          open.add(label);
          findings.push({ ...a, label });
          ctx.log.warn(`${a.decision === 'alert' ? `${a.trigger.severity} alert` : 'inconclusive'}: ${w.prefix}${a.reason}`);
          alerted(at, label, 'trigger');
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
          alerted(at, label, 'resolve');
          alert(ctx, { condition: label, severity: a.trigger.severity, action: 'resolve', title: label, text: `${label}: back within bounds` });
        }
      }
    }
    if (at >= windowMs) break;
  }
  return { findings, sent, record };
}

function sleepUntil(when: number, signal: AbortSignal): Promise<void> {
  const ms = when - Date.now();
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}
