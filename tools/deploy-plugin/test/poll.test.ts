import { describe, expect, it } from 'vitest';
import { poll, pollFailure, type PollOptions } from '../src/core/poll.ts';

/** A clock that only moves when the poll waits: no real time passes. */
function fakeClock() {
  let t = 0;
  const waits: number[] = [];
  return {
    now: () => t,
    wait: async (ms: number) => {
      waits.push(ms);
      t += ms;
    },
    waits,
    advance: (ms: number) => (t += ms),
  };
}

const options = (clock: ReturnType<typeof fakeClock>, o: Partial<PollOptions> = {}): PollOptions => ({
  deadlineMs: 1_000,
  intervalMs: 300,
  now: clock.now,
  wait: clock.wait,
  ...o,
});

describe('poll: the one wait loop', () => {
  it('returns the value as soon as a check gives one', async () => {
    const clock = fakeClock();
    let n = 0;
    const r = await poll(async () => (++n === 3 ? { value: 'up' } : `not yet ${n}`), options(clock));
    expect(r).toEqual({ value: 'up' });
    expect(clock.waits).toEqual([300, 300]);
    expect(pollFailure(r)).toBeUndefined();
  });

  it('at the deadline, the last thing seen is the reason; the last check falls on the deadline itself', async () => {
    const clock = fakeClock();
    let n = 0;
    const r = await poll(async () => `answered 503 (${++n})`, options(clock));
    expect(r).toEqual({ stopped: 'deadline', reason: 'answered 503 (5)' }); // at 0, 300, 600, 900 and 1000 ms
    expect(clock.waits).toEqual([300, 300, 300, 100]);
    expect(pollFailure(r)).toBe('answered 503 (5)');
  });

  it('an aborted signal ends it at once with its reason, before or between checks', async () => {
    const clock = fakeClock();
    const before = new AbortController();
    before.abort('interrupted');
    expect(await poll(async () => 'no', options(clock, { signal: before.signal }))).toEqual({ stopped: 'aborted', reason: 'interrupted' });
    const later = new AbortController();
    let n = 0;
    const r = await poll(
      async () => {
        if (++n === 2) later.abort('lease lost');
        return 'no';
      },
      options(clock, { signal: later.signal }),
    );
    expect(r).toEqual({ stopped: 'aborted', reason: 'lease lost' });
    expect(n).toBe(2);
  });

  it('what it waits on going away ends it at once; gone is asked at most every goneEveryMs', async () => {
    const clock = fakeClock();
    const asked: number[] = [];
    let alive = 3;
    const r = await poll(async () => 'no answer', {
      ...options(clock, { deadlineMs: 10_000, intervalMs: 250, goneEveryMs: 1_000 }),
      gone: () => {
        asked.push(clock.now());
        return --alive === 0 ? 'the process exited (code 1)' : undefined;
      },
    });
    expect(r).toEqual({ stopped: 'gone', reason: 'the process exited (code 1)' });
    expect(asked).toEqual([0, 1_000, 2_000]);
  });

  it('says how it waits when it first has to, then at most every progress.everyMs, with the time left', async () => {
    const clock = fakeClock();
    const said: string[] = [];
    await poll(async () => 'held by ana', {
      ...options(clock, { deadlineMs: 40_000, intervalMs: 1_000 }),
      progress: { everyMs: 15_000, say: (last, left) => said.push(`${last}, ${left / 1000} s left`) },
    });
    expect(said).toEqual(['held by ana, 40 s left', 'held by ana, 25 s left', 'held by ana, 10 s left']);
  });

  it('a check that throws ends the wait with its error', async () => {
    const clock = fakeClock();
    await expect(poll(async () => Promise.reject(new Error('refused for good')), options(clock))).rejects.toThrow('refused for good');
  });
});
