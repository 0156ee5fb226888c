import type { Trigger } from '../config/verify.ts';
import { METRIC_STRATEGIES } from './metrics.ts';

/**
 * One sample of one metric, `at` ms after verification began: a value (health and ready: 1 up,
 * 0 down; errorRate: a fraction; latency: ms), or why there is none: it could not be taken
 * (`missing`: endpoint down, metric absent) or was too thin to judge (`inconclusive`: too few
 * requests in the interval, which is never 0% or fast).
 */
export type Observation = { at: number; value: number } | { at: number; missing: string } | { at: number; inconclusive: string };

export type Decision = 'keep' | 'alert' | 'rollback' | 'inconclusive';

export interface Assessment {
  trigger: Trigger;
  /** `errorRate > 0.05 for 2m`, or the trigger's name. */
  label: string;
  decision: Decision;
  reason: string;
  /** The samples that decided: the breaching (or unjudgeable) run. */
  samples: Observation[];
}

export function triggerLabel(t: Trigger): string {
  return t.name ?? `${METRIC_STRATEGIES[t.metric].condition(t.threshold)} for ${t.for}`;
}

type Verdict = 'breach' | 'ok' | 'unjudged' | 'skip';

/** Pure: what one sample says about a trigger, `onMissing` applied. */
export function judgeSample(t: Trigger, o: Observation): Verdict {
  if ('missing' in o) return t.onMissing === 'breach' ? 'breach' : t.onMissing === 'ignore' ? 'skip' : 'unjudged';
  if ('inconclusive' in o) return 'unjudged';
  return METRIC_STRATEGIES[t.metric].breaches(o.value, t.threshold) ? 'breach' : 'ok';
}

const spans = (run: Observation[], forMs: number, minSamples: number) => run.length >= minSamples && run.at(-1)!.at - run[0]!.at >= forMs;

function show(o: Observation, t: Trigger): string {
  if ('missing' in o) return `missing (${o.missing})`;
  if ('inconclusive' in o) return `inconclusive (${o.inconclusive})`;
  return METRIC_STRATEGIES[t.metric].show(o.value);
}

export function describeSamples(t: Trigger, samples: Observation[]): string {
  return samples.map((o) => `${(o.at / 1000).toFixed(1)}s ${show(o, t)}`).join(', ');
}

/**
 * Pure: a trigger over its samples so far, in order. It fires (its action: roll back or alert)
 * only when every sample of a consecutive run breached and the run spans `for` (and holds at least
 * `minSamples`): a breach that flaps back inside the window fires nothing. A run of samples that
 * could not be judged spanning `for` is `inconclusive`: a human is told, nothing is rolled back.
 * The earliest firing wins; `forMs` is the trigger's `for` in ms.
 */
export function assess(t: Trigger, series: Observation[], forMs: number): Assessment {
  const label = triggerLabel(t);
  let breach: Observation[] = [];
  let unjudged: Observation[] = [];
  let inconclusive: Observation[] | undefined;
  for (const o of series) {
    const v = judgeSample(t, o);
    if (v === 'skip') continue;
    breach = v === 'breach' ? [...breach, o] : [];
    unjudged = v === 'unjudged' ? [...unjudged, o] : [];
    if (spans(breach, forMs, t.minSamples)) {
      return {
        trigger: t,
        label,
        decision: t.action,
        reason: `${label}: breached on ${breach.length} consecutive samples over ${((breach.at(-1)!.at - breach[0]!.at) / 1000).toFixed(1)} s (${describeSamples(t, breach)})`,
        samples: breach,
      };
    }
    if (!inconclusive && spans(unjudged, forMs, t.minSamples)) inconclusive = unjudged;
  }
  if (inconclusive) {
    return {
      trigger: t,
      label,
      decision: 'inconclusive',
      reason: `${label}: could not be judged for ${t.for} (${describeSamples(t, inconclusive)})`,
      samples: inconclusive,
    };
  }
  return { trigger: t, label, decision: 'keep', reason: `${label}: not sustained`, samples: [] };
}
