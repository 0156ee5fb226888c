/** Network trouble worth another try: 5xx answers, resets, timeouts, DNS hiccups. */
export const TRANSIENT =
  /\bE5\d\d\b|\b5\d\d (Service Unavailable|Bad Gateway|Gateway Timeout|Internal Server Error)|ECONNRESET|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|EPIPE|socket hang up|network|timed out/i;

/**
 * Runs `fn`, retrying transient failures with exponential backoff (base, 2x base, 4x base...).
 * Anything else, or the last failure, is thrown as it came.
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  opts: {
    attempts?: number;
    baseMs?: number;
    isTransient?: (err: unknown) => boolean;
    onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  } = {},
): Promise<T> {
  const attempts = opts.attempts ?? 5;
  const isTransient = opts.isTransient ?? ((err) => TRANSIENT.test(String((err as Error)?.message ?? err)));
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= attempts || !isTransient(err)) throw err;
      const delayMs = (opts.baseMs ?? 500) * 2 ** (attempt - 1);
      opts.onRetry?.(err, attempt, delayMs);
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}
