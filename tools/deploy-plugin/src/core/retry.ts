import { setTimeout as sleep } from 'node:timers/promises';

/** Network trouble worth another try: 5xx answers, resets, timeouts, DNS hiccups. */
export const TRANSIENT =
  /\bE5\d\d\b|\b5\d\d (Service Unavailable|Bad Gateway|Gateway Timeout|Internal Server Error)|ECONNRESET|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|EPIPE|socket hang up|network|timed out/i;

export const BASE_DELAY_MS = 500;
/** A Retry-After asking for minutes would hold a deploy hostage: wait this long at most. */
export const MAX_DELAY_MS = 30_000;

/** How failures are retried: the one policy of the publishers, the registry reads and alerts. */
export interface RetryPolicy {
  /** Tries in all, the first included (default 5). */
  attempts?: number;
  /** The first wait, doubled after each failure (default 500 ms)... */
  baseMs?: number;
  /** ...up to this (default 30 s), a server's Retry-After included. */
  maxDelayMs?: number;
  /** Which failures another try could fix (default: TRANSIENT in the message). */
  isTransient?: (err: unknown) => boolean;
  /** The server's Retry-After on this failure (seconds or an HTTP date), when it sent one. */
  retryAfterOf?: (err: unknown) => string | null | undefined;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** The sleep and the clock, for tests that need neither. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

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

/**
 * Runs `fn` (given its attempt number), retrying transient failures with backoff or the server's
 * Retry-After. Anything else, or the last failure, is thrown as it came.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy = {}): Promise<T> {
  const attempts = policy.attempts ?? 5;
  const isTransient = policy.isTransient ?? ((err) => TRANSIENT.test(String((err as Error)?.message ?? err)));
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= attempts || !isTransient(err)) throw err;
      const delayMs = backoffMs(attempt, policy.retryAfterOf?.(err), (policy.now ?? Date.now)(), policy.baseMs, policy.maxDelayMs);
      policy.onRetry?.(err, attempt, delayMs);
      await (policy.sleep ?? ((ms) => sleep(ms)))(delayMs);
    }
  }
}
