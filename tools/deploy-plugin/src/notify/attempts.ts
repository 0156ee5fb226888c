import { withRetry } from '../core/retry.ts';

/** The outcome of one try at a channel; a failure says whether another try could succeed. */
export type AttemptResult = { ok: true; detail: string } | { ok: false; detail: string; retry: boolean; retryAfter?: string | null };

export interface RetryOptions {
  /** Further tries after the first failed one. */
  retries: number;
  sleep(ms: number): Promise<void>;
  now(): number;
}

/** A failed try another could fix, carried through the one retry (core/retry.ts). */
class RetryableAttempt extends Error {
  readonly result: AttemptResult & { ok: false };
  constructor(result: AttemptResult & { ok: false }) {
    super(result.detail);
    this.result = result;
  }
}

/** Tries until one succeeds, a failure is not worth retrying, or the retries are spent. Never throws. */
export async function attemptWithRetries(
  attempt: () => Promise<AttemptResult>,
  opts: RetryOptions,
): Promise<{ ok: boolean; detail: string; attempts: number }> {
  let n = 0;
  const result = await withRetry(
    async (tried) => {
      n = tried;
      const r = await attempt().catch((err: unknown): AttemptResult => ({
        ok: false,
        retry: false,
        detail: `failed: ${(err as Error)?.message ?? String(err)}`,
      }));
      if (!r.ok && r.retry) throw new RetryableAttempt(r);
      return r;
    },
    {
      attempts: opts.retries + 1,
      isTransient: (err) => err instanceof RetryableAttempt,
      retryAfterOf: (err) => (err as RetryableAttempt).result.retryAfter,
      sleep: opts.sleep,
      now: opts.now,
    },
  ).catch((err: RetryableAttempt) => err.result);
  const detail = n > 1 ? `${result.detail} ${result.ok ? 'on attempt' : 'after'} ${n}${result.ok ? '' : ' attempts'}` : result.detail;
  return { ok: result.ok, detail, attempts: n };
}
