/** The outcome of one try at a channel; a failure says whether another try could succeed. */
export type AttemptResult = { ok: true; detail: string } | { ok: false; detail: string; retry: boolean; retryAfter?: string | null };

export interface RetryOptions {
  /** Further tries after the first failed one. */
  retries: number;
  sleep(ms: number): Promise<void>;
  now(): number;
  baseMs?: number;
  maxDelayMs?: number;
}

export const BASE_DELAY_MS = 500;
/** A Retry-After asking for minutes would hold the deploy's summary hostage: wait this long at most. */
export const MAX_DELAY_MS = 30_000;

/**
 * Pure: the wait after failed try number `attempt` (1-based): the server's Retry-After (seconds or
 * an HTTP date) when it sent one, else base, 2x base, 4x base...; never more than `maxMs`.
 */
export function backoffMs(attempt: number, retryAfter: string | null | undefined, now: number, baseMs = BASE_DELAY_MS, maxMs = MAX_DELAY_MS): number {
  const asked = parseRetryAfter(retryAfter, now);
  const wait = asked ?? baseMs * 2 ** (attempt - 1);
  return Math.max(0, Math.min(wait, maxMs));
}

function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : at - now;
}

/** Tries until one succeeds, a failure is not worth retrying, or the retries are spent. Never throws. */
export async function attemptWithRetries(
  attempt: () => Promise<AttemptResult>,
  opts: RetryOptions,
): Promise<{ ok: boolean; detail: string; attempts: number }> {
  for (let n = 1; ; n++) {
    const result = await attempt().catch((err: unknown): AttemptResult => ({
      ok: false,
      retry: false,
      detail: `failed: ${(err as Error)?.message ?? String(err)}`,
    }));
    if (result.ok) return { ok: true, detail: n > 1 ? `${result.detail} on attempt ${n}` : result.detail, attempts: n };
    if (!result.retry || n > opts.retries) return { ok: false, detail: n > 1 ? `${result.detail} after ${n} attempts` : result.detail, attempts: n };
    await opts.sleep(backoffMs(n, result.retryAfter, opts.now(), opts.baseMs, opts.maxDelayMs));
  }
}
