import type { MetricName } from '../config/verify.ts';
import type { Observation } from './assess.ts';
import { errorRate, histogramQuantile, type Bucket } from './metric-deltas.ts';

/** What one round of sampling saw, before it is judged per trigger. */
export interface Round {
  at: number;
  health: { up: boolean } | { missing: string };
  ready?: { up: boolean } | { missing: string };
  /** Requests, 5xx and the duration histogram over the interval since the previous scrape. */
  traffic?: { requests: number; errors: number; buckets: Bucket[] } | { missing: string };
}

/**
 * What a trigger's metric means, in one place: where its samples come from, what a round says
 * about it, when a value breaches, and how it reads. Verification, the assessor and their
 * messages ask this table instead of switching on the metric's name.
 */
export interface MetricStrategy {
  /** What a target must offer for the metric to be judged there. */
  source: 'health' | 'ready' | 'metrics';
  /** The breaching condition in words: `health failing`, `errorRate > 0.05`, `latencyP95 > 2000 ms`. */
  condition(threshold: number | undefined): string;
  breaches(value: number, threshold: number | undefined): boolean;
  /** A sampled value in words: `up`, `5.0%`, `120 ms`. */
  show(value: number): string;
  /** What a round says about it; undefined when it says nothing (the first scrape has no interval). */
  observe(r: Round, minRequests: number): Observation | undefined;
}

function upDown(name: 'health' | 'ready'): MetricStrategy {
  return {
    source: name,
    condition: () => `${name} failing`,
    breaches: (v) => v === 0,
    show: (v) => (v ? 'up' : 'down'),
    observe(r) {
      const s = r[name];
      if (!s) return undefined;
      return 'missing' in s ? { at: r.at, missing: s.missing } : { at: r.at, value: s.up ? 1 : 0 };
    },
  };
}

/** A value computed from the interval's traffic; too few requests say nothing about errors or latency alike. */
function fromTraffic(
  name: MetricName,
  unit: string,
  show: (v: number) => string,
  value: (t: { requests: number; errors: number; buckets: Bucket[] }, rate: number) => number | { inconclusive: string },
): MetricStrategy {
  return {
    source: 'metrics',
    condition: (threshold) => `${name} > ${threshold}${unit}`,
    breaches: (v, threshold) => v > threshold!,
    show,
    observe(r, minRequests) {
      if (!r.traffic) return undefined;
      if ('missing' in r.traffic) return { at: r.at, missing: r.traffic.missing };
      const share = errorRate(r.traffic.requests, r.traffic.errors, minRequests);
      if (share.rate === undefined) return { at: r.at, inconclusive: share.inconclusive! };
      const v = value(r.traffic, share.rate);
      return typeof v === 'number' ? { at: r.at, value: v } : { at: r.at, ...v };
    },
  };
}

const latency = (name: MetricName, q: number) =>
  fromTraffic(
    name,
    ' ms',
    (v) => `${Math.round(v)} ms`,
    (t) => {
      const seconds = histogramQuantile(q, t.buckets);
      return seconds === undefined ? { inconclusive: 'no observations in the duration histogram' } : seconds * 1000;
    },
  );

export const METRIC_STRATEGIES: Record<MetricName, MetricStrategy> = {
  health: upDown('health'),
  ready: upDown('ready'),
  errorRate: fromTraffic(
    'errorRate',
    '',
    (v) => `${(v * 100).toFixed(1)}%`,
    (_t, rate) => rate,
  ),
  latencyP95: latency('latencyP95', 0.95),
  latencyP99: latency('latencyP99', 0.99),
};
