/** Details kept on a {@link PodApiError} for programs that want more than the message. */
export interface PodApiErrorDetails {
  method: string;
  path: string;
  /** The scope the token lacked (403 answers). */
  requiredScope?: string;
  /** Seconds the server asked us to wait (429 answers with a Retry-After header). */
  retryAfterSeconds?: number;
  /** The parsed response body, when there was one. */
  body?: unknown;
  cause?: unknown;
}

/**
 * A request to the POD API that did not give the expected answer.
 *
 * `status` is the HTTP status, or 0 when no answer arrived (network error, timeout).
 * `code` is machine-readable (`unauthorized`, `forbidden`, `not_found`, `rate_limited`,
 * `network_error`, `timeout`, `invalid_response`, ...); `message` is written for people.
 */
export class PodApiError extends Error {
  override readonly name = 'PodApiError';
  readonly status: number;
  readonly code: string;
  readonly method: string;
  readonly path: string;
  readonly requiredScope?: string;
  readonly retryAfterSeconds?: number;
  readonly body?: unknown;

  constructor(status: number, code: string, message: string, details: PodApiErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = status;
    this.code = code;
    this.method = details.method;
    this.path = details.path;
    if (details.requiredScope !== undefined) this.requiredScope = details.requiredScope;
    if (details.retryAfterSeconds !== undefined) this.retryAfterSeconds = details.retryAfterSeconds;
    if (details.body !== undefined) this.body = details.body;
  }
}
