import { describe, expect, it } from 'vitest';
import { factsOf } from '../src/deploy/progress.ts';
import { describeProgress } from '../src/store/progress.ts';
import type { LedgerRecord } from '../src/store/state-store.ts';

describe('what a deploy that died had done', () => {
  const record = (over: Partial<LedgerRecord>): LedgerRecord => ({
    id: 'd1',
    project: 'api-server',
    env: 'staging',
    kind: 'deploy',
    version: '0.2.0',
    gitSha: '0123456789abcdef',
    status: 'started',
    actor: 'ci',
    startedAt: '2026-12-07T00:00:00Z',
    ...over,
  });

  it("keeps each step's last facts, and serving once any step put the version in service", () => {
    expect(factsOf([{ backupRef: 'b1' }, { image: 'r/api@sha256:1', direct: [{ url: 'http://127.0.0.1:4' }] }, { skipped: 'nothing' }])).toEqual({
      backupRef: 'b1',
      image: 'r/api@sha256:1',
    });
    expect(factsOf([{ image: 'r/api@sha256:1' }, { serves: true, detail: 'switched' }, { url: 'http://x' }])).toMatchObject({
      serving: true,
      url: 'http://x',
    });
  });

  it('says how far it got and what serves', () => {
    const steps = [
      { name: 'migrate', status: 'succeeded' as const, durationMs: 1 },
      { name: 'rollout', status: 'succeeded' as const, durationMs: 1 },
      { name: 'cutover', status: 'succeeded' as const, durationMs: 1 },
    ];
    expect(describeProgress(record({ steps, serving: true, image: 'r/api@sha256:1', backupRef: 'backups/x' }))).toBe(
      'it had finished migrate, rollout, cutover; 0.2.0 (0123456789ab) serves; image r/api@sha256:1; backup backups/x',
    );
    expect(describeProgress(record({ steps: steps.slice(0, 1) }))).toBe('it had finished migrate; the version before it still serves');
    expect(describeProgress(record({}))).toBe('no step had finished; the version before it still serves');
  });
});
