import { describe, expect, it } from 'vitest';
import { combineOutcomes, describeOutcome, failedStatus, nothingToRestore, restored, restoreFailed } from '../src/core/rollback.ts';

describe('rollback outcomes', () => {
  it('a failed deploy is rolled_back only when the previous version serves again', () => {
    expect(failedStatus(restored('0.1.0 (abc)', 'healthy again in 1.0 s'))).toBe('rolled_back');
    expect(failedStatus(nothingToRestore())).toBe('failed');
    expect(failedStatus(restoreFailed('started x again; it is not healthy'))).toBe('failed');
    expect(failedStatus(undefined)).toBe('failed');
  });

  it('the worst outcome of several steps wins, and every detail is kept', () => {
    const ok = restored('0.1.0', 'healthy again in 1.0 s');
    const broken = restoreFailed('applied previous.yaml; it did not roll out');
    expect(combineOutcomes([])).toBeUndefined();
    expect(combineOutcomes([ok])).toEqual(ok);
    expect(combineOutcomes([ok, nothingToRestore()])).toMatchObject({ outcome: 'nothing-to-restore' });
    expect(combineOutcomes([nothingToRestore(), broken, ok])).toEqual({
      outcome: 'restore-failed',
      detail: 'no previous version; nothing serves now; manual action needed: applied previous.yaml; it did not roll out; healthy again in 1.0 s',
    });
  });

  it('says for people what serves now', () => {
    expect(describeOutcome(restored('0.1.0 (abc)', 'healthy again in 1.0 s'))).toBe('rolled back: 0.1.0 (abc) serves again (healthy again in 1.0 s)');
    expect(describeOutcome(nothingToRestore())).toBe('not rolled back: no previous version; nothing serves now');
    expect(describeOutcome(restoreFailed('started x again'))).toBe('ROLLBACK FAILED, manual action needed: started x again');
  });
});
