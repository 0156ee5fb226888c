import { describe, expect, it } from 'vitest';
import { budgetMisses, describeLoad, passingLoadTest } from '../src/analysis/load-budget.ts';
import { loadBudgetSchema, loadtestSchema } from '../src/config/loadtest.ts';

const measured = { requests: 3000, durationS: 3, rps: 1000, errorRate: 0.004, p50Ms: 2.1, p95Ms: 9.5, p99Ms: 20, maxMs: 41 };
const budget = (raw: unknown) => loadBudgetSchema.parse(raw);

describe('load test budget', () => {
  it('is met when every bound holds, at the bound included', () => {
    expect(budgetMisses(measured, budget({ p95Ms: 9.5, p99Ms: 20, maxErrorRate: 0.004, minRps: 1000 }))).toEqual([]);
    expect(budgetMisses(measured, budget({}))).toEqual([]); // default: at most 1% errors
  });

  it('names each miss with the measured value and the bound', () => {
    expect(budgetMisses(measured, budget({ p95Ms: 9, p99Ms: 19.9, maxErrorRate: 0.001, minRps: 1001 }))).toEqual([
      'p95 9.5 ms is over 9 ms',
      'p99 20 ms is over 19.9 ms',
      'error rate 0.40% is over 0.10%',
      '1000 requests/s is under 1001',
    ]);
    expect(budgetMisses({ ...measured, requests: 0 }, budget({}))).toEqual(['no request was answered']);
  });

  it('describes a measurement in one line', () => {
    expect(describeLoad(measured)).toBe('3000 requests in 3 s: 1000 req/s, p50 2.1 ms, p95 9.5 ms, p99 20 ms, errors 0.40%');
  });

  it('a load test setting needs a budget, a requirement, or both', () => {
    expect(loadtestSchema.safeParse({}).success).toBe(false);
    expect(loadtestSchema.parse({ require: { environment: 'staging' } }).require).toEqual({ environment: 'staging', maxAge: '24h' });
  });
});

describe('a passing load test required from another environment', () => {
  const NOW = Date.parse('2026-11-28T12:00:00Z');
  const HOUR = 3_600_000;
  const rec = (id: string, gitSha: string, passed: boolean, finishedAt: string) => ({ id, gitSha, finishedAt, loadtest: { passed } });

  it('takes the newest passing one of the commit within the age', () => {
    const records = [
      rec('a', 'c1', true, '2026-11-28T10:00:00Z'),
      rec('b', 'c1', true, '2026-11-28T11:00:00Z'),
      rec('c', 'c2', true, '2026-11-28T11:30:00Z'),
    ];
    expect(passingLoadTest(records, 'c1', NOW, 2 * HOUR)).toEqual({ record: records[1] });
  });

  it('says why none counts: none of the commit, none passed, or too old (exactly maxAge still counts)', () => {
    expect(passingLoadTest([rec('c', 'c2', true, '2026-11-28T11:30:00Z')], 'c1', NOW, HOUR)).toEqual({
      problem: 'no load test of it is recorded there',
    });
    expect(passingLoadTest([rec('a', 'c1', false, '2026-11-28T11:30:00Z')], 'c1', NOW, HOUR)).toEqual({
      problem: 'its load tests there did not pass',
    });
    expect(passingLoadTest([rec('a', 'c1', true, '2026-11-28T10:59:59Z')], 'c1', NOW, HOUR)).toEqual({
      problem: 'its last passing load test finished at 2026-11-28T10:59:59Z, longer ago than allowed',
    });
    expect(passingLoadTest([rec('a', 'c1', true, '2026-11-28T11:00:00Z')], 'c1', NOW, HOUR)).toHaveProperty('record');
  });
});
