/** One HTTP request with a timeout, measured. Only the probe's own fetch touches the network. */
export interface ProbeResponse {
  status: number;
  headers: Headers;
  body: string;
  latencyMs: number;
}

export async function probe(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<ProbeResponse> {
  const started = performance.now();
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: init.headers,
    body: init.body,
    signal: AbortSignal.timeout(init.timeoutMs ?? 5_000),
    redirect: 'manual',
  });
  const body = await res.text();
  return { status: res.status, headers: res.headers, body, latencyMs: Math.round(performance.now() - started) };
}

/**
 * Polls until `check` passes or the deadline is reached; returns the last failure otherwise, or
 * the interrupt's reason at once when `signal` is aborted.
 */
export async function waitUntil(
  check: () => Promise<string | undefined>,
  opts: { deadlineMs: number; intervalMs: number; onRetry?: (failure: string, attempt: number) => void; signal?: AbortSignal },
): Promise<string | undefined> {
  const end = Date.now() + opts.deadlineMs;
  for (let attempt = 1; ; attempt++) {
    if (opts.signal?.aborted) return String(opts.signal.reason);
    const failure = await check().catch(
      (err: Error) => `${err.name === 'TimeoutError' ? 'timed out' : ((err.cause as Error)?.message ?? err.message)}`,
    );
    if (!failure) return undefined;
    if (Date.now() + opts.intervalMs > end) return failure;
    opts.onRetry?.(failure, attempt);
    await new Promise((r) => setTimeout(r, opts.intervalMs));
  }
}
