import type { LoadBudget } from '../config/loadtest.ts';
import type { LoadMeasurement } from '../core/load-measurement.ts';

/** Pure: each way a measurement misses its budget, as a sentence; empty when it meets it. */
export function budgetMisses(m: LoadMeasurement, b: LoadBudget): string[] {
  const misses: string[] = [];
  if (m.requests === 0) return ['no request was answered'];
  if (b.p95Ms !== undefined && m.p95Ms > b.p95Ms) misses.push(`p95 ${m.p95Ms} ms is over ${b.p95Ms} ms`);
  if (b.p99Ms !== undefined && m.p99Ms > b.p99Ms) misses.push(`p99 ${m.p99Ms} ms is over ${b.p99Ms} ms`);
  if (m.errorRate > b.maxErrorRate) misses.push(`error rate ${percent(m.errorRate)} is over ${percent(b.maxErrorRate)}`);
  if (b.minRps !== undefined && m.rps < b.minRps) misses.push(`${m.rps} requests/s is under ${b.minRps}`);
  return misses;
}

const percent = (x: number) => `${(x * 100).toFixed(2)}%`;

/** One line for people and the ledger's step detail. */
export function describeLoad(m: LoadMeasurement): string {
  return `${m.requests} requests in ${m.durationS} s: ${m.rps} req/s, p50 ${m.p50Ms} ms, p95 ${m.p95Ms} ms, p99 ${m.p99Ms} ms, errors ${percent(m.errorRate)}`;
}

/**
 * Pure: whether a ledger holds a passing load test of `gitSha` finished within `maxAgeMs` of
 * `now`: the newest such record, or why none counts.
 */
export function passingLoadTest<R extends { gitSha: string; finishedAt?: string; loadtest?: { passed: boolean } }>(
  records: R[],
  gitSha: string,
  now: number,
  maxAgeMs: number,
): { record: R } | { problem: string } {
  const ofCommit = records.filter((r) => r.gitSha === gitSha && r.loadtest);
  const passing = ofCommit.filter((r) => r.loadtest!.passed);
  const recent = passing.filter((r) => r.finishedAt && now - Date.parse(r.finishedAt) <= maxAgeMs);
  if (recent.length) return { record: recent.at(-1)! };
  if (passing.length) return { problem: `its last passing load test finished at ${passing.at(-1)!.finishedAt}, longer ago than allowed` };
  if (ofCommit.length) return { problem: 'its load tests there did not pass' };
  return { problem: 'no load test of it is recorded there' };
}

/**
 * Pure: the load tests of a service's servers as one measurement that meets a budget only when every
 * server's does: the slowest percentiles, the highest error rate, the lowest throughput; the
 * requests summed.
 */
export function worstOf(ms: LoadMeasurement[]): LoadMeasurement {
  const max = (k: keyof LoadMeasurement) => Math.max(...ms.map((m) => m[k]));
  return {
    requests: ms.reduce((n, m) => n + m.requests, 0),
    durationS: max('durationS'),
    rps: Math.min(...ms.map((m) => m.rps)),
    errorRate: max('errorRate'),
    p50Ms: max('p50Ms'),
    p95Ms: max('p95Ms'),
    p99Ms: max('p99Ms'),
    maxMs: max('maxMs'),
  };
}
