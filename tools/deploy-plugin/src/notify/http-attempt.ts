import { probe, type ProbeResponse } from '../core/http.ts';
import type { AttemptResult } from './attempts.ts';

/**
 * One POST of a JSON body. `accepted` says what a success looks like for this service (and
 * describes it); 429 and 5xx answers and network errors are worth another try, other answers are not.
 */
export async function postJson(
  url: string,
  body: unknown,
  timeoutMs: number,
  accepted: (res: ProbeResponse) => string | undefined,
): Promise<AttemptResult> {
  let res: ProbeResponse;
  try {
    res = await probe(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), timeoutMs });
  } catch (err) {
    return { ok: false, retry: true, detail: networkFailure(err, timeoutMs) };
  }
  const success = accepted(res);
  if (success !== undefined) return { ok: true, detail: success };
  const retry = res.status === 429 || res.status >= 500;
  return { ok: false, retry, detail: answerDetail(res), retryAfter: res.headers.get('retry-after') };
}

/** "400 invalid_payload", "429 Too Many Requests": the status and the gist of the body, on one line. */
export function answerDetail(res: { status: number; body: string }): string {
  let gist = res.body.trim();
  try {
    const json = JSON.parse(gist) as { message?: unknown; errors?: unknown };
    if (typeof json.message === 'string') gist = [json.message, ...(Array.isArray(json.errors) ? json.errors : [])].join('; ');
  } catch {
    // not JSON: the text itself
  }
  gist = gist.replace(/\s+/g, ' ');
  if (gist.length > 160) gist = `${gist.slice(0, 157)}...`;
  return gist ? `${res.status} ${gist}` : `${res.status}`;
}

/** Why a request got no answer: "timed out after 5000 ms", "ECONNREFUSED 127.0.0.1:9". */
export function networkFailure(err: unknown, timeoutMs: number): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `timed out after ${timeoutMs} ms`;
  return e?.cause?.message ?? e?.message ?? String(err);
}
