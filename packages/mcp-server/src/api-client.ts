/** Minimal client of the POD Protocol HTTP API, on the global fetch. */

export interface Agent {
  id: string;
  name: string;
  description?: string | null;
  createdAt: string;
}

export interface NewAgent {
  name: string;
  description?: string;
}

export interface ApiHealth {
  health: { status: string; version: string; gitSha: string };
  /** `ready` is false when /ready answered 503. */
  readiness: { ready: boolean; status: string; database?: string };
}

/** A failed call, with a message meant for the person (or model) reading the tool result. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

const TIMEOUT_MS = 10_000;

export class PodApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string | undefined,
  ) {}

  async apiHealth(): Promise<ApiHealth> {
    const health = await this.call<ApiHealth['health']>('GET', '/health');
    // 503 from /ready is an answer ("not ready"), not a failure of the tool.
    const ready = await this.call<{ status: string; database?: string }>('GET', '/ready', undefined, [503]);
    return { health, readiness: { ready: ready.status === 'ready', ...ready } };
  }

  async listAgents(): Promise<Agent[]> {
    const body = await this.call<{ agents: Agent[] }>('GET', '/v1/agents');
    return body.agents;
  }

  async getAgent(id: string): Promise<Agent> {
    return this.call<Agent>('GET', `/v1/agents/${encodeURIComponent(id)}`);
  }

  async createAgent(input: NewAgent): Promise<Agent> {
    return this.call<Agent>('POST', '/v1/agents', input);
  }

  private async call<T>(method: string, path: string, body?: unknown, alsoOk: number[] = []): Promise<T> {
    const url = `${this.baseUrl}${path}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';

    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      throw new ApiError(`Could not reach the POD API at ${url}: ${describeFetchError(error)}. Check POD_API_URL and that the API is running.`);
    }

    const text = await response.text();
    const json = parseJson(text);
    if (!response.ok && !alsoOk.includes(response.status)) {
      throw errorFromResponse(method, path, response, json, text, Boolean(this.token));
    }
    if (json === undefined) {
      throw new ApiError(`The POD API answered ${method} ${path} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
    return json as T;
  }
}

function errorFromResponse(method: string, path: string, response: Response, json: unknown, text: string, hasToken: boolean): ApiError {
  const { status } = response;
  const fields = (json && typeof json === 'object' ? json : {}) as Record<string, unknown>;
  const code = typeof fields.error === 'string' ? fields.error : undefined;
  const detail = typeof fields.message === 'string' ? fields.message : text.trim().slice(0, 200);
  const where = `${method} ${path}`;
  let message: string;
  switch (status) {
    case 401:
      message = hasToken
        ? `The POD API rejected the token (401 unauthorized) on ${where}. Set POD_API_TOKEN to a valid, unexpired token.`
        : `The POD API requires a token (401 unauthorized) on ${where}. Set POD_API_TOKEN for this MCP server.`;
      break;
    case 403: {
      const scope = typeof fields.requiredScope === 'string' ? fields.requiredScope : 'a scope it lacks';
      message = `The token in POD_API_TOKEN is not allowed to ${where} (403 forbidden): it needs ${scope}.`;
      break;
    }
    case 404:
      message = `Not found (404) on ${where}.`;
      break;
    case 429: {
      const retry = response.headers.get('retry-after');
      message = `The POD API is rate limiting this server (429) on ${where}${retry ? `; retry after ${retry} s` : '; retry later'}.`;
      break;
    }
    case 400:
      message = `The POD API rejected the input (400) on ${where}: ${detail || 'no details given'}.`;
      break;
    default:
      message = `The POD API failed (${status}) on ${where}${detail ? `: ${detail}` : ''}.`;
  }
  return new ApiError(message, status, code);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** fetch() hides the useful part (ECONNREFUSED, ENOTFOUND, timeout) in `cause`. */
function describeFetchError(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return `no answer within ${TIMEOUT_MS / 1000} s`;
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof Error && cause.message) return cause.message;
    return error.message;
  }
  return String(error);
}
