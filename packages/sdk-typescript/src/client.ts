import { PodApiError } from './errors.js';
import { errorFromResponse } from './http-errors.js';
import { parseAgent, parseAgentList, parseHealth, parseReadiness, type Parsed } from './parse.js';
import type { Agent, CreateAgentInput, FetchLike, Health, PodClientOptions, Readiness } from './types.js';

const DEFAULT_TIMEOUT_MS = 10_000;

interface RequestOptions {
  body?: unknown;
  /** Statuses that carry a normal answer (the rest become a PodApiError). */
  expect?: readonly number[];
  notFoundHint?: string;
}

interface Answer {
  status: number;
  body: unknown;
}

/**
 * Client for the POD Protocol HTTP API. Works in Node 20+ and browsers (it only needs `fetch`).
 *
 * Every method either resolves with a typed value or rejects with a {@link PodApiError}.
 */
export class PodClient {
  readonly baseUrl: string;
  readonly #token: string | undefined;
  readonly #fetch: FetchLike;
  readonly #timeoutMs: number;

  constructor(options: PodClientOptions) {
    this.baseUrl = normalizeBaseUrl(options.baseUrl);
    this.#token = options.token === '' ? undefined : options.token;
    if (options.fetch) {
      this.#fetch = options.fetch;
    } else if (typeof globalThis.fetch === 'function') {
      // Bound so a browser's window.fetch is not called with the client as `this`.
      this.#fetch = globalThis.fetch.bind(globalThis);
    } else {
      throw new TypeError('PodClient: no global fetch in this runtime; pass one as options.fetch');
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new RangeError(`PodClient: timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`);
    }
    this.#timeoutMs = timeoutMs;
  }

  /** `GET /health`. */
  async health(): Promise<Health> {
    const answer = await this.#request('GET', '/health');
    return this.#parsed('GET', '/health', answer, parseHealth(answer.body));
  }

  /** `GET /ready`. Resolves with `ready: false` when the server answers 503. */
  async ready(): Promise<Readiness> {
    const answer = await this.#request('GET', '/ready', { expect: [200, 503] });
    return this.#parsed('GET', '/ready', answer, parseReadiness(answer.body, answer.status));
  }

  /** `GET /v1/agents` (scope `agents:read`). */
  async listAgents(): Promise<Agent[]> {
    const answer = await this.#request('GET', '/v1/agents');
    return this.#parsed('GET', '/v1/agents', answer, parseAgentList(answer.body));
  }

  /** `POST /v1/agents` (scope `agents:write`). */
  async createAgent(input: CreateAgentInput): Promise<Agent> {
    const body: CreateAgentInput = { name: input.name };
    if (input.description !== undefined) body.description = input.description;
    const answer = await this.#request('POST', '/v1/agents', { body, expect: [200, 201] });
    return this.#parsed('POST', '/v1/agents', answer, parseAgent(answer.body));
  }

  /** `GET /v1/agents/:id` (scope `agents:read`). A missing agent rejects with status 404. */
  async getAgent(id: string): Promise<Agent> {
    if (typeof id !== 'string' || id === '') throw new TypeError('PodClient.getAgent: id must be a non-empty string');
    const path = `/v1/agents/${encodeURIComponent(id)}`;
    const answer = await this.#request('GET', path, { notFoundHint: `no agent with id ${JSON.stringify(id)}` });
    return this.#parsed('GET', path, answer, parseAgent(answer.body));
  }

  async #request(method: string, path: string, options: RequestOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    const init: RequestInit = { method, headers, signal: AbortSignal.timeout(this.#timeoutMs) };
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(options.body);
    }

    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(this.baseUrl + path, init);
      text = await response.text();
    } catch (error) {
      throw this.#transportError(method, path, error);
    }

    const body = parseJson(text);
    if (!(options.expect ?? [200]).includes(response.status)) {
      throw errorFromResponse({
        method,
        path,
        status: response.status,
        body: body.ok ? body.value : text,
        retryAfter: response.headers.get('retry-after'),
        hasToken: this.#token !== undefined,
        notFoundHint: options.notFoundHint,
      });
    }
    if (!body.ok) {
      throw new PodApiError(
        response.status,
        'invalid_response',
        `${method} ${path} failed: the ${response.status} answer is not JSON (is ${this.baseUrl} the POD API?)`,
        { method, path, body: text },
      );
    }
    return { status: response.status, body: body.value };
  }

  #parsed<T>(method: string, path: string, answer: Answer, parsed: Parsed<T>): T {
    if (parsed.ok) return parsed.value;
    throw new PodApiError(
      answer.status,
      'invalid_response',
      `${method} ${path} failed: unexpected answer (${parsed.problem}; is ${this.baseUrl} the POD API?)`,
      { method, path, body: answer.body },
    );
  }

  #transportError(method: string, path: string, error: unknown): PodApiError {
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      return new PodApiError(0, 'timeout', `${method} ${path} failed: no answer from ${this.baseUrl} within ${this.#timeoutMs} ms`, {
        method,
        path,
        cause: error,
      });
    }
    const reason = networkReason(error);
    return new PodApiError(
      0,
      'network_error',
      `${method} ${path} failed: cannot reach ${this.baseUrl}${reason} (is the API server running at that address?)`,
      { method, path, cause: error },
    );
  }
}

function normalizeBaseUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError(`PodClient: baseUrl ${JSON.stringify(baseUrl)} is not a URL; expected e.g. https://api.example.com`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`PodClient: baseUrl must use http or https, got ${JSON.stringify(baseUrl)}`);
  }
  if (url.search || url.hash) {
    throw new TypeError(`PodClient: baseUrl must not have a query or fragment, got ${JSON.stringify(baseUrl)}`);
  }
  // Keep a path prefix (an API behind /pod) but drop the trailing slash: paths start with one.
  return url.href.replace(/\/+$/, '');
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/** Node's fetch hides the reason (ECONNREFUSED, ENOTFOUND, ...) in `cause`. */
function networkReason(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? cause.code : undefined;
  if (typeof code === 'string') return ` (${code})`;
  return error instanceof Error && error.message ? ` (${error.message})` : '';
}
