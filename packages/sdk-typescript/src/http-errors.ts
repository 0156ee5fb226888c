import { PodApiError } from './errors.js';

/** Codes used when the body does not carry a usable `error` field (e.g. a proxy's HTML page). */
const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  429: 'rate_limited',
  500: 'server_error',
  502: 'bad_gateway',
  503: 'unavailable',
  504: 'gateway_timeout',
};

export interface FailedRequest {
  method: string;
  path: string;
  status: number;
  body: unknown;
  retryAfter: string | null;
  hasToken: boolean;
  /** What a 404 means for this call, e.g. `no agent with id "x"`. */
  notFoundHint?: string;
}

/** Turns a non-success answer into an error whose message says what failed and what to do. */
export function errorFromResponse(failed: FailedRequest): PodApiError {
  const { method, path, status, body } = failed;
  const fields = isRecord(body) ? body : {};
  const code = pickCode(fields.error, status);
  const requiredScope = typeof fields.requiredScope === 'string' ? fields.requiredScope : undefined;
  const retryAfterSeconds = parseRetryAfter(failed.retryAfter);
  const serverMessage = typeof fields.message === 'string' ? fields.message : undefined;

  let hint: string;
  switch (status) {
    case 400:
      hint = serverMessage ? `: ${serverMessage}` : ' (the request was rejected as invalid)';
      break;
    case 401:
      hint = failed.hasToken ? ' (check your API token)' : ' (no API token was given)';
      break;
    case 403:
      hint = requiredScope ? ` (the API token lacks the ${requiredScope} scope)` : ' (the API token is not allowed to do this)';
      break;
    case 404:
      hint = ` (${failed.notFoundHint ?? 'check the API base URL'})`;
      break;
    case 429:
      hint = retryAfterSeconds === undefined ? ' (rate limited: retry later)' : ` (rate limited: retry in ${retryAfterSeconds}s)`;
      break;
    default:
      hint = status >= 500 ? ' (server error: check the API server logs)' : serverMessage ? `: ${serverMessage}` : '';
  }

  return new PodApiError(status, code, `${method} ${path} failed: ${status} ${code}${hint}`, {
    method,
    path,
    requiredScope,
    retryAfterSeconds,
    body,
  });
}

/** Prefer the server's code when it looks like one (`not_found`), not prose like "Not Found". */
function pickCode(error: unknown, status: number): string {
  if (typeof error === 'string' && /^[a-z][a-z0-9_]*$/.test(error)) return error;
  return CODE_BY_STATUS[status] ?? `http_${status}`;
}

/** Retry-After is either delay-seconds or an HTTP date. */
function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
