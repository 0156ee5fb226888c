import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

/** Scopes a token may carry. Kept as plain strings so new resources need no config change. */
export type TokenScopes = ReadonlyMap<string, ReadonlySet<string>>;

export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  apiTokens: TokenScopes;
  rateLimitMax: number;
  rateLimitWindowMs: number;
  appVersion: string;
  gitSha: string;
  logLevel: string;
  /** Exact origins (e.g. https://app.example.com) browsers may call the API from; empty: no CORS. */
  corsOrigins: string[];
  /**
   * Peers whose X-Forwarded-For is believed (addresses, CIDRs or loopback/linklocal/uniquelocal):
   * behind a proxy, the client's address is what the rate limit counts, not the proxy's.
   */
  trustProxy: string[];
  /**
   * Fault injection when FAULT_INJECTION=enabled (tests only: APP_ENV development or test); null
   * when it is off, and then no fault can be turned on at run time either.
   */
  faults: FaultInjection | null;
}

/** Fault injection's initial settings, and the token GET and POST /_faults require. */
export interface FaultInjection {
  initial: FaultSettings;
  token: string;
}

/** Injected faults (see faults.ts); changeable at run time through POST /_faults. */
export interface FaultSettings {
  /** Fraction (0..1) of /v1 requests answered 500, spread deterministically. */
  errorRate: number;
  /** Delay added before handling /v1 requests and /health. */
  latencyMs: number;
  /** Every database query fails as if the database were unreachable. */
  dbDown: boolean;
}

/** Upper bound of FAULT_LATENCY_MS / latencyMs: 10 minutes, far below the timer limit. */
export const MAX_FAULT_LATENCY_MS = 600_000;

export const DEFAULT_DATABASE_URL = 'file:./data/api.sqlite';

/** A setting that cannot be used as given; the message names the variable and what is expected. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  return {
    port: intFrom(env, 'PORT', 3000, 0, 65535),
    host: nonEmpty(env.HOST) ?? '127.0.0.1',
    databaseUrl: nonEmpty(env.DATABASE_URL) ?? DEFAULT_DATABASE_URL,
    apiTokens: parseApiTokens(env.API_TOKENS ?? ''),
    rateLimitMax: intFrom(env, 'RATE_LIMIT_MAX', 100, 1, Number.MAX_SAFE_INTEGER),
    rateLimitWindowMs: intFrom(env, 'RATE_LIMIT_WINDOW_MS', 60_000, 1, Number.MAX_SAFE_INTEGER),
    appVersion: nonEmpty(env.APP_VERSION) ?? packageVersion(),
    gitSha: nonEmpty(env.GIT_SHA) ?? 'unknown',
    logLevel: nonEmpty(env.LOG_LEVEL) ?? 'warn',
    corsOrigins: parseCorsOrigins(env.CORS_ORIGINS ?? ''),
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    faults: parseFaults(env),
  };
}

const PROXY_PRESETS = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * TRUST_PROXY: comma-separated addresses, CIDRs or presets of the proxies in front; `none` trusts
 * nobody. Default `loopback`: a proxy on the same host (as the deploy's HAProxy) is believed, and a
 * client connecting from elsewhere cannot claim another address.
 */
export function parseTrustProxy(value: string | undefined): string[] {
  const entries = (nonEmpty(value) ?? 'loopback')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 1 && entries[0] === 'none') return [];
  for (const entry of entries) {
    const [address, bits, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const bitsOk = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32));
    if (!PROXY_PRESETS.includes(entry) && (!family || !bitsOk || extra !== undefined))
      throw new ConfigError(
        `TRUST_PROXY entry "${entry}" is neither an address, a CIDR (10.0.0.0/8) nor one of ${PROXY_PRESETS.join(', ')}; or set it to "none"`,
      );
  }
  return entries;
}

const FAULT_VARIABLES = ['FAULT_ERROR_RATE', 'FAULT_LATENCY_MS', 'FAULT_DB_DOWN'] as const;

/** The environments (APP_ENV) where a service may be told to fail: never staging or production. */
export const FAULT_ENVIRONMENTS = ['development', 'test'];
/** The shortest FAULT_TOKEN accepted: /_faults can slow or break the service for everyone. */
const MIN_FAULT_TOKEN = 16;

/**
 * Fault injection, for tests only. FAULT_INJECTION must be exactly `enabled` for any fault; it is
 * allowed only where APP_ENV is development or test, needs FAULT_TOKEN (which /_faults requires),
 * and a FAULT_* value without it is an error (rather than silently ignored, so a test cannot
 * believe it injected a fault that is not there).
 */
export function parseFaults(env: Env): FaultInjection | null {
  const injection = nonEmpty(env.FAULT_INJECTION);
  if (injection === undefined) {
    const stray = FAULT_VARIABLES.find((name) => nonEmpty(env[name]) !== undefined);
    if (stray !== undefined) {
      throw new ConfigError(
        `${stray} is set but FAULT_INJECTION is not "enabled" (fault injection is for tests only), got ${stray}="${nonEmpty(env[stray])}"`,
      );
    }
    return null;
  }
  if (injection !== 'enabled') {
    throw new ConfigError(`FAULT_INJECTION must be "enabled" or unset (tests only), got "${injection}"`);
  }
  const appEnv = nonEmpty(env.APP_ENV);
  if (appEnv === undefined || !FAULT_ENVIRONMENTS.includes(appEnv)) {
    throw new ConfigError(
      `FAULT_INJECTION=enabled is allowed only where APP_ENV is ${FAULT_ENVIRONMENTS.join(' or ')} (fault injection is for tests only), got ${appEnv === undefined ? 'APP_ENV unset' : `APP_ENV="${appEnv}"`}`,
    );
  }
  const token = nonEmpty(env.FAULT_TOKEN);
  if (token === undefined || token.length < MIN_FAULT_TOKEN) {
    throw new ConfigError(
      `FAULT_INJECTION=enabled needs FAULT_TOKEN (at least ${MIN_FAULT_TOKEN} characters): GET and POST /_faults answer only requests bearing it`,
    );
  }
  return {
    token,
    initial: {
      errorRate: rateFrom(env, 'FAULT_ERROR_RATE'),
      latencyMs: intFrom(env, 'FAULT_LATENCY_MS', 0, 0, MAX_FAULT_LATENCY_MS),
      dbDown: booleanFrom(env, 'FAULT_DB_DOWN', false),
    },
  };
}

/**
 * Parses `token1=scope1 scope2,token2=scope1`. Errors name the entry by position, never by
 * its text, so a typo does not print a secret into the logs.
 */
export function parseApiTokens(value: string): TokenScopes {
  const tokens = new Map<string, Set<string>>();
  const entries = value
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  entries.forEach((entry, index) => {
    const eq = entry.indexOf('=');
    const token = eq === -1 ? '' : entry.slice(0, eq).trim();
    if (token === '' || /\s/.test(token)) {
      throw new ConfigError(`API_TOKENS entry ${index + 1} is not of the form token=scope1 scope2 (expected e.g. "s3cret=agents:read agents:write")`);
    }
    const scopes = entry
      .slice(eq + 1)
      .trim()
      .split(/\s+/)
      .filter((s) => s !== '');
    tokens.set(token, new Set([...(tokens.get(token) ?? []), ...scopes]));
  });
  return tokens;
}

/**
 * Parses `https://app.example.com,http://127.0.0.1:4200`: exact http(s) origins, as browsers send
 * them in the Origin header (scheme://host[:port], no path, no trailing slash). Each is normalised
 * with `new URL(entry).origin` (lower-case host, default port dropped); duplicates are dropped.
 */
export function parseCorsOrigins(value: string): string[] {
  const entries = value
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  const origins = entries.map((entry, index) => {
    const url = URL.parse(entry);
    const isOrigin =
      url !== null &&
      (url.protocol === 'http:' || url.protocol === 'https:') &&
      url.username === '' &&
      url.password === '' &&
      /^https?:\/\/[^/?#\\]+$/i.test(entry);
    if (!isOrigin) {
      throw new ConfigError(
        `CORS_ORIGINS entry ${index + 1} must be an http or https origin, scheme://host[:port] without path or trailing slash ` +
          `(expected e.g. "https://app.example.com"), got "${entry}"`,
      );
    }
    return url.origin;
  });
  return [...new Set(origins)];
}

function nonEmpty(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v === undefined || v === '' ? undefined : v;
}

function intFrom(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return n;
}

function rateFrom(env: Env, name: string): number {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return 0;
  const n = Number(raw);
  if (!/^(?:\d+(?:\.\d*)?|\.\d+)$/.test(raw) || n < 0 || n > 1) {
    throw new ConfigError(`${name} must be a number between 0 and 1 (e.g. "0.1" for 1 request in 10), got "${raw}"`);
  }
  return n;
}

function booleanFrom(env: Env, name: string, fallback: boolean): boolean {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  if (raw !== 'true' && raw !== 'false') {
    throw new ConfigError(`${name} must be "true" or "false", got "${raw}"`);
  }
  return raw === 'true';
}

function packageVersion(): string {
  // src/ and dist/ are both one level below package.json.
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}
