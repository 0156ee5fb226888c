import { describe, expect, it } from 'vitest';
import { assess, type Observation } from '../src/analysis/assess.ts';
import { RUNBOOK_TRIGGERS, triggerSchema, verifySchema } from '../src/config/verify.ts';
import { certificateProblem } from '../src/step-kit/runtime-checks.ts';

const trigger = (raw: Record<string, unknown>) => triggerSchema.parse(raw);
const every = (values: (number | 'missing' | 'thin')[], stepMs = 1000): Observation[] =>
  values.map((v, i) =>
    v === 'missing'
      ? { at: i * stepMs, missing: 'connection refused' }
      : v === 'thin'
        ? { at: i * stepMs, inconclusive: '3 requests' }
        : { at: i * stepMs, value: v },
  );

describe('the triggers assessor (samples in, decision out)', () => {
  const errorRate = trigger({ metric: 'errorRate', threshold: 0.05, for: '3s' });

  it('fires only when every sample of a run spanning `for` breached, at the sample that completes it', () => {
    const fired = assess(errorRate, every([0.01, 0.2, 0.2, 0.2, 0.2]), 3000);
    expect(fired.decision).toBe('rollback');
    expect(fired.samples.map((s) => s.at)).toEqual([1000, 2000, 3000, 4000]);
    expect(fired.reason).toBe(
      'errorRate > 0.05 for 3s: breached on 4 consecutive samples over 3.0 s (1.0s 20.0%, 2.0s 20.0%, 3.0s 20.0%, 4.0s 20.0%)',
    );
    // One sample short of the span: nothing yet.
    expect(assess(errorRate, every([0.01, 0.2, 0.2, 0.2]), 3000).decision).toBe('keep');
  });

  it('is strictly above the threshold: exactly 5% is not a breach', () => {
    expect(assess(errorRate, every([0.05, 0.05, 0.05, 0.05, 0.05]), 3000).decision).toBe('keep');
    expect(assess(errorRate, every([0.0501, 0.0501, 0.0501, 0.0501]), 3000).decision).toBe('rollback');
  });

  it('does not roll back a flapping error rate: above, then below inside the window, then above again', () => {
    expect(assess(errorRate, every([0.2, 0.2, 0.2, 0.01, 0.2, 0.2, 0.2, 0.01, 0.2]), 3000).decision).toBe('keep');
  });

  it('takes too few requests as inconclusive, never as healthy: a run of them spanning `for` says so', () => {
    const thin = assess(errorRate, every(['thin', 'thin', 'thin', 'thin']), 3000);
    expect(thin.decision).toBe('inconclusive');
    expect(thin.reason).toMatch(/could not be judged for 3s \(0\.0s inconclusive \(3 requests\)/);
    // and a thin sample breaks a breaching run
    expect(assess(errorRate, every([0.2, 0.2, 'thin', 0.2, 0.2]), 3000).decision).toBe('keep');
  });

  it('follows onMissing for samples that could not be taken', () => {
    const down = every(['missing', 'missing', 'missing', 'missing']);
    expect(assess({ ...errorRate, onMissing: 'inconclusive' }, down, 3000).decision).toBe('inconclusive');
    expect(assess({ ...errorRate, onMissing: 'breach' }, down, 3000).decision).toBe('rollback');
    expect(assess({ ...errorRate, onMissing: 'ignore' }, down, 3000).decision).toBe('keep');
    // ignored samples neither break nor extend a run
    expect(assess({ ...errorRate, onMissing: 'ignore' }, every([0.2, 'missing', 0.2, 0.2, 0.2]), 3000).decision).toBe('rollback');
    expect(assess({ ...errorRate, onMissing: 'ignore' }, every([0.2, 'missing', 'missing', 'missing', 0.2]), 3000).decision).toBe('rollback');
  });

  it('judges health and ready by up/down, latency in ms, and alerts instead of rolling back when asked', () => {
    const health = trigger({ metric: 'health', for: '2s' });
    expect(assess(health, every([1, 0, 0, 0]), 2000).decision).toBe('rollback');
    expect(assess(health, every([0, 0, 1, 0, 0]), 2000).decision).toBe('keep');
    const slow = trigger({ metric: 'latencyP95', threshold: 1000, for: '1s', action: 'alert', severity: 'warning' });
    const fired = assess(slow, every([1200, 1500]), 1000);
    expect([fired.decision, fired.reason]).toEqual([
      'alert',
      'latencyP95 > 1000 ms for 1s: breached on 2 consecutive samples over 1.0 s (0.0s 1200 ms, 1.0s 1500 ms)',
    ]);
  });

  it('needs minSamples whatever `for` says: `for: 0s` fires on the second breach by default, on the first with minSamples 1', () => {
    const ready = trigger({ metric: 'ready', for: '0s' });
    expect(assess(ready, every([0]), 0).decision).toBe('keep');
    expect(assess(ready, every([0, 0]), 0).decision).toBe('rollback');
    expect(assess({ ...ready, minSamples: 1 }, every([0]), 0).decision).toBe('rollback');
  });

  it("defaults to the runbook's rules", () => {
    const { triggers, window, interval } = verifySchema.parse({});
    expect([window, interval, triggers.length]).toEqual(['6m', '15s', RUNBOOK_TRIGGERS.length]);
    expect(triggers.filter((t) => t.action === 'rollback').map((t) => [t.metric, t.threshold, t.for])).toEqual([
      ['health', undefined, '5m'],
      ['ready', undefined, '1m'],
      ['errorRate', 0.05, '2m'],
      ['latencyP95', 2000, '3m'],
    ]);
    expect(() => triggerSchema.parse({ metric: 'errorRate', for: '1m' })).toThrow(/need a threshold/);
  });
});

describe('certificate judgement (pure)', () => {
  const now = Date.parse('2026-11-28T00:00:00Z');
  const day = 86_400_000;
  it('says untrusted, expired, or expiring within the margin, with the date; exactly the margin left passes', () => {
    expect(certificateProblem('h', { authorized: false, authorizationError: 'CERT_HAS_EXPIRED', validTo: new Date(now) }, now, 14)).toBe(
      'the certificate of h is not trusted (CERT_HAS_EXPIRED)',
    );
    expect(certificateProblem('h', { authorized: true, validTo: new Date(now - 1) }, now, 14)).toBe('the certificate of h expired on 2026-11-27');
    expect(certificateProblem('h', { authorized: true, validTo: new Date(now + 13 * day) }, now, 14)).toBe(
      'the certificate of h expires on 2026-12-11, in 13 days: within the 14-day margin',
    );
    expect(certificateProblem('h', { authorized: true, validTo: new Date(now + 14 * day) }, now, 14)).toBeUndefined();
  });
});
