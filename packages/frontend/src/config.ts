import type { FetchLike } from '@pod-protocol/sdk';

/** What the deployment writes to config.json next to index.html. */
export interface AppConfig {
  /** Absolute http(s) URL of the POD API, without a trailing slash. */
  apiBaseUrl: string;
  /** Shown in the header so people know which environment they are looking at. */
  environment: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Checks a parsed config.json. `apiBaseUrl` may be relative (e.g. "/api" when a proxy serves the
 * API on the same origin); it is resolved against the address config.json was loaded from.
 */
export function parseConfig(raw: unknown, configUrl: string): AppConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`${configUrl} must hold a JSON object like {"apiBaseUrl": "...", "environment": "..."}`);
  }
  const { apiBaseUrl, environment } = raw as Record<string, unknown>;
  if (typeof apiBaseUrl !== 'string' || apiBaseUrl.trim() === '') {
    throw new ConfigError(`${configUrl}: "apiBaseUrl" must be a non-empty string (the POD API address)`);
  }
  if (typeof environment !== 'string' || environment.trim() === '') {
    throw new ConfigError(`${configUrl}: "environment" must be a non-empty string (e.g. "staging")`);
  }
  let url: URL;
  try {
    url = new URL(apiBaseUrl, configUrl);
  } catch {
    throw new ConfigError(`${configUrl}: "apiBaseUrl" ${JSON.stringify(apiBaseUrl)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${configUrl}: "apiBaseUrl" must be an http or https URL, got ${JSON.stringify(apiBaseUrl)}`);
  }
  return { apiBaseUrl: url.href.replace(/\/+$/, ''), environment };
}

/** Fetches and checks config.json. Never cached: a redeploy may rewrite it without renaming it. */
export async function loadConfig(fetchFn: FetchLike, configUrl: string): Promise<AppConfig> {
  let response: Response;
  try {
    response = await fetchFn(configUrl, { cache: 'no-store', headers: { accept: 'application/json' } });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`could not load ${configUrl}: ${reason}`);
  }
  if (!response.ok) {
    throw new ConfigError(`could not load ${configUrl}: HTTP ${response.status} (the deployment must write config.json next to index.html)`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(await response.text());
  } catch {
    throw new ConfigError(`${configUrl} is not valid JSON`);
  }
  return parseConfig(raw, configUrl);
}
