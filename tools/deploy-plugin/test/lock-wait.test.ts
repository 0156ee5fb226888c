import { describe, expect, it } from 'vitest';
import { parseDuration } from '../src/core/duration.ts';
import { createLogger } from '../src/core/log.ts';
import { Redactor } from '../src/core/redact.ts';
import { acquireLock } from '../src/deploy/lock-wait.ts';
import { LockHeld, type Lease, type LockHolder, type LockStore } from '../src/store/state-store.ts';

const holder: LockHolder = { token: 't', env: 'staging', actor: 'ana', host: 'ci-1', runPid: 42, since: '2026-01-01T00:00:00Z', what: 'deploy api' };

/** A lock store held by someone else for the first `busy` attempts. */
function busyFor(busy: number): LockStore & { attempts: number } {
  return {
    attempts: 0,
    async acquire() {
      if (this.attempts++ < busy) throw new LockHeld({ holder, tasks: [42], stale: false }, '.');
      return { holder: { ...holder, actor: 'bo' }, generation: 7, lost: () => undefined, release: async () => undefined } satisfies Lease;
    },
    status: async () => undefined,
    forceRelease: async () => undefined,
  };
}

describe('--lock-wait', () => {
  it('reads durations people type', () => {
    expect(parseDuration('90s', '--lock-wait')).toBe(90_000);
    expect(parseDuration('10m', '--lock-wait')).toBe(600_000);
    expect(parseDuration('1.5h', '--lock-wait')).toBe(5_400_000);
    expect(parseDuration('250', '--lock-wait')).toBe(250);
    expect(parseDuration(0, '--lock-wait')).toBe(0);
    expect(() => parseDuration('soon', '--lock-wait')).toThrow("--lock-wait must be a duration such as 90s, 10m or 1h; got 'soon'");
  });

  it('waits for the holder, saying who it is, then takes the lock', async () => {
    const lines: string[] = [];
    const store = busyFor(3);
    const lease = await acquireLock(
      store,
      'staging',
      { actor: 'bo', what: 'deploy api' },
      { waitMs: 5_000, pollMs: 10, log: createLogger(new Redactor(), '', (l) => lines.push(l)) },
    );
    expect(lease.generation).toBe(7);
    expect(store.attempts).toBe(4);
    expect(lines[0]).toMatch(/^waiting for the staging lock, held by ana on ci-1 \(deploy api\) since 2026-01-01T00:00:00Z; up to \d s more/);
  });

  it('fails with the holder named once the wait is over, and at once without one', async () => {
    const log = createLogger(new Redactor(), '', () => undefined);
    await expect(acquireLock(busyFor(1_000), 'staging', { actor: 'bo', what: 'x' }, { waitMs: 50, pollMs: 10, log })).rejects.toThrow(
      /staging is locked by ana on ci-1/,
    );
    const store = busyFor(1);
    await expect(acquireLock(store, 'staging', { actor: 'bo', what: 'x' }, { waitMs: 0, log })).rejects.toThrow(LockHeld);
    expect(store.attempts).toBe(1);
  });
});
