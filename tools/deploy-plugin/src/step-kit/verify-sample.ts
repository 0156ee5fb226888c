import type { Trigger } from '../config/verify.ts';
import { probe } from '../core/http.ts';
import type { Observation } from '../analysis/assess.ts';
import type { SampledTarget } from '../core/watch-record.ts';
import { bucketDelta, counterDelta, counterTotal, histogramBuckets, histogramQuantile, type Bucket } from '../analysis/metric-deltas.ts';
import { METRIC_STRATEGIES, type Round } from '../analysis/metrics.ts';
import { parsePrometheusText } from '../analysis/prometheus-text.ts';

/** Where a service is sampled, and how its metrics are named (prom-client's conventions by default). */
export interface SampleTarget {
  healthUrl: string;
  healthOk(status: number): boolean;
  readyUrl?: string;
  metricsUrl?: string;
  requestsMetric: string;
  statusLabel: string;
  durationMetric: string;
  timeoutMs: number;
}

/** The counters of one scrape: what the next one is compared with. */
export interface Scrape {
  requests: number;
  errors: number;
  buckets: Bucket[];
}

async function upDown(url: string, ok: (status: number) => boolean, timeoutMs: number): Promise<{ up: boolean } | { missing: string }> {
  try {
    return { up: ok((await probe(url, { timeoutMs })).status) };
  } catch {
    // An endpoint that does not answer is down: that is what health means.
    return { up: false };
  }
}

async function scrape(t: SampleTarget): Promise<Scrape> {
  const res = await probe(t.metricsUrl!, { timeoutMs: t.timeoutMs });
  if (res.status !== 200) throw new Error(`${t.metricsUrl} answered ${res.status}`);
  const families = parsePrometheusText(res.body);
  const requests = counterTotal(families, t.requestsMetric);
  if (requests === undefined) throw new Error(`${t.metricsUrl} has no ${t.requestsMetric}`);
  const errors = counterTotal(families, t.requestsMetric, (l) => (l[t.statusLabel] ?? '').startsWith('5')) ?? 0;
  const histogram = histogramBuckets(families, t.durationMetric);
  if (!histogram) throw new Error(`${t.metricsUrl} has no ${t.durationMetric} histogram`);
  return { requests, errors, buckets: histogram.buckets };
}

/** One round: health, readiness and a metrics scrape, compared with the previous scrape. */
export async function sampleRound(t: SampleTarget, at: number, previous: Scrape | undefined): Promise<{ round: Round; scrape?: Scrape }> {
  const [health, ready, current] = await Promise.all([
    upDown(t.healthUrl, t.healthOk, t.timeoutMs),
    t.readyUrl ? upDown(t.readyUrl, (s) => s === 200, t.timeoutMs) : undefined,
    t.metricsUrl ? scrape(t).catch((err: Error) => ({ missing: err.message })) : undefined,
  ]);
  const round: Round = { at, health, ...(ready ? { ready } : {}) };
  if (!current) return { round };
  if ('missing' in current) return { round: { ...round, traffic: current } };
  if (previous) {
    round.traffic = {
      requests: counterDelta(previous.requests, current.requests),
      errors: counterDelta(previous.errors, current.errors),
      buckets: bucketDelta(previous.buckets, current.buckets),
    };
  }
  return { round, scrape: current };
}

/** Pure: the observation a round gives a trigger, or undefined when the round says nothing about it (the first scrape). */
export function observe(t: Trigger, r: Round): Observation | undefined {
  return METRIC_STRATEGIES[t.metric].observe(r, t.minRequests);
}

/** One line per round for the deploy's output: what was seen. */
export function describeRound(r: Round): string {
  const ud = (s: { up: boolean } | { missing: string }) => ('missing' in s ? `missing (${s.missing})` : s.up ? 'up' : 'DOWN');
  const parts = [`${(r.at / 1000).toFixed(1)}s health ${ud(r.health)}`];
  if (r.ready) parts.push(`ready ${ud(r.ready)}`);
  if (r.traffic && 'missing' in r.traffic) parts.push(`metrics missing (${r.traffic.missing})`);
  else if (r.traffic) {
    const { requests, errors, buckets } = r.traffic;
    const p95 = histogramQuantile(0.95, buckets);
    parts.push(
      `${requests} requests, ${errors} 5xx${requests ? ` (${((errors / requests) * 100).toFixed(1)}%)` : ''}${p95 === undefined ? '' : `, p95 ${Math.round(p95 * 1000)} ms`}`,
    );
  }
  return parts.join(', ');
}

/** A target's empty columns: one per thing it samples, each getting an entry every round. */
export function columnsFor(t: SampleTarget, server: string | undefined): SampledTarget {
  return {
    ...(server ? { server } : {}),
    at: [],
    health: [],
    ...(t.readyUrl ? { ready: [] } : {}),
    ...(t.metricsUrl ? { requests: [], errors: [], p95: [], p99: [] } : {}),
  };
}

/** Appends a round to a target's columns as the ledger keeps them (ms to 0.1; null where the round has no value). */
export function recordRound(columns: SampledTarget, r: Round): void {
  const upDown = (s: { up: boolean } | { missing: string } | undefined) => (s && !('missing' in s) ? (s.up ? 1 : 0) : null);
  const ms = (q: number | undefined) => (q === undefined ? null : Math.round(q * 10_000) / 10);
  const traffic = r.traffic && !('missing' in r.traffic) ? r.traffic : undefined;
  columns.at.push(r.at);
  columns.health.push(upDown(r.health));
  columns.ready?.push(upDown(r.ready));
  columns.requests?.push(traffic ? traffic.requests : null);
  columns.errors?.push(traffic ? traffic.errors : null);
  columns.p95?.push(ms(traffic && histogramQuantile(0.95, traffic.buckets)));
  columns.p99?.push(ms(traffic && histogramQuantile(0.99, traffic.buckets)));
}
