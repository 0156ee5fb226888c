/** Settings read from the environment; see README.md for the full list. */
export interface Config {
  host: string;
  port: number;
  apiUrl: string;
  apiToken: string | undefined;
  /** Hostnames accepted in the Host header of /mcp requests; undefined = no check. */
  allowedHosts: string[] | undefined;
}

const LOOPBACK = ['127.0.0.1', 'localhost', '::1'];
const LOOPBACK_HOSTNAMES = ['127.0.0.1', 'localhost', '[::1]'];

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const host = env.HOST?.trim() || '127.0.0.1';
  const port = parsePort(env.PORT);
  const apiUrl = parseApiUrl(env.POD_API_URL);
  const apiToken = env.POD_API_TOKEN?.trim() || undefined;
  // A server on loopback must only answer loopback Host headers: otherwise a web page could reach
  // it through DNS rebinding and act with POD_API_TOKEN (the same default the MCP SDK applies).
  const explicitHosts = env.MCP_ALLOWED_HOSTS?.split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  const allowedHosts = explicitHosts?.length ? explicitHosts : LOOPBACK.includes(host) ? LOOPBACK_HOSTNAMES : undefined;
  return { host, port, apiUrl, apiToken, allowedHosts };
}

function parsePort(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return 3100;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`PORT must be an integer from 0 to 65535, got "${raw}"`);
  }
  return port;
}

function parseApiUrl(raw: string | undefined): string {
  const value = raw?.trim() || 'http://127.0.0.1:3000';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`POD_API_URL must be an absolute http(s) URL such as http://127.0.0.1:3000, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`POD_API_URL must use http or https, got "${value}"`);
  }
  return value.replace(/\/+$/, '');
}
