import { UserError } from '../core/errors.ts';
import { parseNumber, type MetricFamily, type MetricType } from './prometheus-text.ts';

/**
 * Pure arithmetic for a verification step that scrapes /metrics at an interval: what changed
 * between two scrapes, and PromQL's answers (increase(), histogram_quantile()) computed from it
 * without a Prometheus server.
 */

export type LabelFilter = (labels: Record<string, string>) => boolean;

/** A cumulative histogram bucket: how many observations were at most `le` (+Inf for the last). */
export interface Bucket {
  le: number;
  count: number;
}

export interface HistogramTotals {
  buckets: Bucket[];
  sum: number;
  count: number;
}

export interface ErrorRate {
  rate?: number;
  requests: number;
  inconclusive?: string;
}

const everySeries: LabelFilter = () => true;

/** Pure: the sum of a counter's series that match `where`; undefined when the scrape lacks the metric, 0 when no series matches. */
export function counterTotal(families: MetricFamily[], name: string, where: LabelFilter = everySeries): number | undefined {
  const family = familyOf(families, name, ['counter', 'untyped'], 'counter');
  return family?.samples.filter((s) => s.name === name && where(s.labels)).reduce((total, s) => total + s.value, 0);
}

/** Pure: how much a counter grew between two scrapes. A drop means the process restarted and counted from 0 (PromQL's increase()). */
export function counterDelta(previous: number, current: number): number {
  return current < previous ? current : current - previous;
}

/**
 * Pure: a histogram's cumulative buckets (sorted by le, +Inf included), sum and count over the series
 * that match `where`, like PromQL's `sum by (le)`. `where` sees a series' labels without `le`.
 * Undefined when the scrape lacks the metric; no buckets when no series matches.
 */
export function histogramBuckets(families: MetricFamily[], name: string, where: LabelFilter = everySeries): HistogramTotals | undefined {
  const family = familyOf(families, name, ['histogram'], 'histogram');
  if (!family) return undefined;
  const byBound = new Map<number, number>();
  let sum = 0;
  let count = 0;
  for (const { name: sampleName, labels, value } of family.samples) {
    const { le, ...series } = labels;
    if (!where(series)) continue;
    // Parsed, so "1" and "1.0" are the same bucket; the parser has refused a bucket without a numeric le.
    const bound = parseNumber(le ?? '');
    if (sampleName === `${name}_bucket` && bound !== undefined) byBound.set(bound, (byBound.get(bound) ?? 0) + value);
    else if (sampleName === `${name}_sum`) sum += value;
    else if (sampleName === `${name}_count`) count += value;
  }
  const buckets = [...byBound].map(([bound, n]) => ({ le: bound, count: n })).sort((a, b) => a.le - b.le);
  return { buckets, sum, count };
}

/**
 * Pure: what each bucket gained between two scrapes. A bucket that lost counts (the +Inf one
 * included) or a different set of buckets means the process restarted: then `curr` is the gain.
 */
export function bucketDelta(prev: Bucket[], curr: Bucket[]): Bucket[] {
  const before = new Map(prev.map((b) => [b.le, b.count]));
  const restarted = prev.length !== curr.length || curr.some((b) => !before.has(b.le) || b.count < before.get(b.le)!);
  return curr.map((b) => ({ le: b.le, count: restarted ? b.count : b.count - before.get(b.le)! }));
}

/**
 * Pure: PromQL's histogram_quantile over cumulative buckets, as promql/quantile.go bucketQuantile
 * computes it: linear within the bucket that holds the rank, 0 as the lower bound of a positive
 * first bucket, the highest finite bound when the rank falls in +Inf. q < 0 gives -Infinity and
 * q > 1 +Infinity; undefined where PromQL gives NaN (no observations, fewer than 2 buckets, no +Inf bucket).
 */
export function histogramQuantile(q: number, buckets: Bucket[]): number | undefined {
  if (Number.isNaN(q)) return undefined;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const sorted = buckets.map((b) => ({ ...b })).sort((a, b) => a.le - b.le);
  if (sorted.at(-1)?.le !== Infinity) return undefined;
  const merged = coalesceBuckets(sorted);
  correctPrecisionErrors(merged, 1e-12);
  ensureMonotonic(merged);
  if (merged.length < 2) return undefined;
  const observations = merged.at(-1)!.count;
  if (observations === 0) return undefined;
  let rank = q * observations;
  const found = merged.slice(0, -1).findIndex((b) => b.count >= rank);
  if (found === -1) return merged.at(-2)!.le;
  const bucket = merged[found]!;
  if (found === 0 && bucket.le <= 0) return bucket.le;
  let start = 0;
  let count = bucket.count;
  if (found > 0) {
    const below = merged[found - 1]!;
    start = below.le;
    count -= below.count;
    rank -= below.count;
  }
  const value = start + (bucket.le - start) * (rank / count);
  // Only q = 0 over an empty first bucket gets here as 0/0; PromQL answers NaN.
  return Number.isNaN(value) ? undefined : value;
}

/**
 * Pure: the share of requests that failed in an interval. Fewer than `minRequests` requests is
 * inconclusive, never 0%: three good requests say nothing about a release.
 */
export function errorRate(deltaTotal: number, deltaErrors: number, minRequests: number): ErrorRate {
  if (deltaTotal <= 0) return { requests: deltaTotal, inconclusive: 'no requests in the interval' };
  if (deltaTotal < minRequests) {
    const requests = deltaTotal === 1 ? '1 request' : `${deltaTotal} requests`;
    return { requests: deltaTotal, inconclusive: `${requests} in the interval, fewer than ${minRequests}` };
  }
  return { rate: deltaErrors / deltaTotal, requests: deltaTotal };
}

function familyOf(families: MetricFamily[], name: string, types: MetricType[], wanted: string): MetricFamily | undefined {
  const family = families.find((f) => f.name === name);
  if (family && !types.includes(family.type)) throw new UserError(`${name} is a ${family.type} in the scraped metrics, not a ${wanted}`);
  return family;
}

/** PromQL's coalesceBuckets: buckets with the same bound (sorted input) count together. */
function coalesceBuckets(sorted: Bucket[]): Bucket[] {
  const merged: Bucket[] = [];
  for (const b of sorted) {
    const last = merged.at(-1);
    if (last && last.le === b.le) last.count += b.count;
    else merged.push({ ...b });
  }
  return merged;
}

/** PromQL's correctPrecisionErrors: a count within a relative 1e-12 of the one before is taken as equal to it. */
function correctPrecisionErrors(buckets: Bucket[], tolerance: number): void {
  let prev = buckets[0]!.count;
  for (const b of buckets.slice(1)) {
    const delta = Math.abs(b.count - prev);
    if (delta === 0) continue;
    if (delta / b.count <= tolerance) b.count = prev;
    else prev = b.count;
  }
}

/**
 * PromQL's ensureMonotonic: a bucket counting fewer than one below it (buckets read at different
 * moments) is raised to that count, so the search for the rank stays meaningful.
 */
function ensureMonotonic(buckets: Bucket[]): void {
  let max = buckets[0]!.count;
  for (const b of buckets.slice(1)) {
    if (b.count > max) max = b.count;
    else if (b.count < max) b.count = max;
  }
}
