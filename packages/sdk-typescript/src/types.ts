/** `GET /health`: liveness and build identity of the API server. */
export interface Health {
  status: string;
  version: string;
  gitSha: string;
}

/**
 * `GET /ready`: whether the API can serve requests. The server answers 503 when it cannot;
 * the client reports that as `ready: false` instead of throwing, so callers can poll it.
 */
export interface Readiness {
  ready: boolean;
  status: string;
  database: string;
}

export interface Agent {
  id: string;
  name: string;
  /** `null` when the agent was created without a description. */
  description: string | null;
  /** ISO 8601 timestamp. */
  createdAt: string;
}

export interface CreateAgentInput {
  name: string;
  description?: string;
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface PodClientOptions {
  /** Where the API is served, e.g. `http://127.0.0.1:3000` or `https://api.example.com/pod`. */
  baseUrl: string;
  /** Bearer token for the `/v1` endpoints (needs the `agents:read` / `agents:write` scopes). */
  token?: string;
  /** Replacement for the global `fetch` (tests, proxies, instrumentation). */
  fetch?: FetchLike;
  /** Abort a request that has not answered after this long. Default 10 000 ms. */
  timeoutMs?: number;
}
