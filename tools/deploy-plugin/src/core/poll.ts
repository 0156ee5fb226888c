import { setTimeout as sleep } from 'node:timers/promises';

/** One look at what is awaited: `{ value }` once it is there, else a sentence saying what was seen. */
export type PollCheck<T> = () => Promise<{ value: T } | string>;

/** How a poll ended: the value, or why not (the deadline passed, the signal aborted, what was awaited is gone). */
export type PollResult<T> = { value: T } | { stopped: 'deadline' | 'aborted' | 'gone'; reason: string };

export interface PollOptions {
  /** How long to wait in all. */
  deadlineMs: number;
  /** Between two checks. */
  intervalMs: number;
  /** Ends the wait at once with its reason (Ctrl-C, a lost lease, a watch that is over). */
  signal?: AbortSignal;
  /** What the wait depends on has gone (the process exited): a reason ends the wait at once. */
  gone?: () => Promise<string | undefined> | string | undefined;
  /** Ask `gone` at most this often (default every check): on a server it is a command over SSH. */
  goneEveryMs?: number;
  /** A progress line when it first has to wait, then at most every `everyMs`: given the last sentence and the time left. */
  progress?: { everyMs: number; say: (last: string, remainingMs: number) => void };
  /** The clock and the sleep, for tests that need none. */
  now?: () => number;
  wait?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const realWait = (ms: number, signal?: AbortSignal) => sleep(ms, undefined, { signal }).catch(() => undefined);

/**
 * The one wait loop: checks until `check` gives a value, the deadline passes (the last sentence
 * is the reason), the signal aborts, or `gone` says what was awaited went away. A check that
 * throws ends the wait with its error: only the check knows which failures are worth waiting on.
 */
export async function poll<T>(check: PollCheck<T>, o: PollOptions): Promise<PollResult<T>> {
  const now = o.now ?? Date.now;
  const wait = o.wait ?? realWait;
  const end = now() + o.deadlineMs;
  let nextGone = 0;
  let nextProgress = now(); // the first line as soon as it has to wait
  for (;;) {
    if (o.signal?.aborted) return { stopped: 'aborted', reason: String(o.signal.reason) };
    const seen = await check();
    if (typeof seen !== 'string') return seen;
    if (o.gone && now() >= nextGone) {
      const gone = await o.gone();
      if (gone) return { stopped: 'gone', reason: gone };
      nextGone = now() + (o.goneEveryMs ?? 0);
    }
    if (now() >= end) return { stopped: 'deadline', reason: seen };
    if (o.progress && now() >= nextProgress) {
      o.progress.say(seen, end - now());
      nextProgress = now() + o.progress.everyMs;
    }
    // The last check falls on the deadline itself, not an interval short of it.
    await wait(Math.min(o.intervalMs, end - now()), o.signal);
  }
}

/** The reason a poll did not give a value, or undefined when it did. */
export function pollFailure<T>(r: PollResult<T>): string | undefined {
  return 'value' in r ? undefined : r.reason;
}
