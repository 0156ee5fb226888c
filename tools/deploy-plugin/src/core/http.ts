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

/** A failed request in a few words: `timed out`, or the network's own reason (ECONNREFUSED ...). */
export function requestFailure(err: unknown): string {
  const e = err as Error;
  return e.name === 'TimeoutError' ? 'timed out' : ((e.cause as Error)?.message ?? e.message);
}
