import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseApiTokens, parseCorsOrigins, parseTrustProxy } from '../src/config.js';
import { describeError, maskDatabaseUrl, parseDatabaseUrl } from '../src/db/open.js';
import { toPositional } from '../src/db/postgres.js';

describe('config', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: 'file:./data/api.sqlite',
      rateLimitMax: 100,
      rateLimitWindowMs: 60000,
      appVersion: '0.1.0',
      gitSha: 'unknown',
    });
    expect(c.apiTokens.size).toBe(0);
    expect(c.corsOrigins).toEqual([]);
    expect(c.faults).toBeNull();
  });

  it('parses API_TOKENS', () => {
    const tokens = parseApiTokens(' t1=agents:read agents:write , t2=agents:read,');
    expect([...tokens.keys()]).toEqual(['t1', 't2']);
    expect([...tokens.get('t1')!]).toEqual(['agents:read', 'agents:write']);
    expect([...tokens.get('t2')!]).toEqual(['agents:read']);
  });

  it('rejects malformed settings without echoing secrets', () => {
    expect(() => parseApiTokens('ok=agents:read,Zq9TokenWithoutScopes')).toThrowError(/entry 2/);
    expect(() => parseApiTokens('ok=agents:read,Zq9TokenWithoutScopes')).not.toThrowError(/Zq9Token/);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrowError(ConfigError);
    expect(() => loadConfig({ RATE_LIMIT_MAX: '0' })).toThrowError(/RATE_LIMIT_MAX/);
  });

  it('parses CORS_ORIGINS into normalised exact origins', () => {
    expect(loadConfig({ CORS_ORIGINS: ' http://127.0.0.1:4200 , https://App.Example.com:443,' }).corsOrigins).toEqual([
      'http://127.0.0.1:4200',
      'https://app.example.com',
    ]);
    expect(parseCorsOrigins('http://[::1]:4200,http://127.0.0.1:4200,HTTP://127.0.0.1:4200')).toEqual(['http://[::1]:4200', 'http://127.0.0.1:4200']);
  });

  it('trusts a proxy on the same host by default; TRUST_PROXY names others, or none', () => {
    expect(loadConfig({}).trustProxy).toEqual(['loopback']);
    expect(parseTrustProxy(' 10.0.0.0/8, 192.168.1.7 ,uniquelocal')).toEqual(['10.0.0.0/8', '192.168.1.7', 'uniquelocal']);
    expect(parseTrustProxy('fd00::/8')).toEqual(['fd00::/8']);
    expect(parseTrustProxy('none')).toEqual([]);
    for (const bad of ['proxy.example.com', '10.0.0.0/33', '10.0.0.1/8/1', 'everyone'])
      expect(() => parseTrustProxy(bad)).toThrowError(new RegExp(`TRUST_PROXY entry "${bad.replace(/[./]/g, '\\$&')}" is neither an address`));
  });

  it('treats an empty or unset CORS_ORIGINS as no origins', () => {
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: '' }).corsOrigins).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: ' , ' }).corsOrigins).toEqual([]);
  });

  it.each([
    ['https://app.example.com/console', 2],
    ['https://app.example.com/', 2],
    ['https://app.example.com?x=1', 2],
    ['app.example.com', 2],
    ['not a url', 2],
    ['*', 2],
    ['ftp://files.example.com', 2],
    ['https://user:pw@app.example.com', 2],
  ])('rejects the CORS_ORIGINS entry %j naming its position and what is expected', (bad, position) => {
    const load = () => loadConfig({ CORS_ORIGINS: `http://127.0.0.1:4200,${bad}` });
    expect(load).toThrowError(ConfigError);
    expect(load).toThrowError(`CORS_ORIGINS entry ${position} must be an http or https origin, scheme://host[:port] without path or trailing slash`);
    expect(load).toThrowError('(expected e.g. "https://app.example.com")');
  });
});

describe('fault injection settings (tests only)', () => {
  /** What a test deploy passes: an environment where faults are allowed, and the token /_faults requires. */
  const ON = { FAULT_INJECTION: 'enabled', APP_ENV: 'test', FAULT_TOKEN: 'fault-token-0123456789' };

  it('are off unless FAULT_INJECTION is exactly "enabled"', () => {
    expect(loadConfig({}).faults).toBeNull();
    expect(loadConfig({ FAULT_INJECTION: '' }).faults).toBeNull();
    expect(loadConfig(ON).faults).toEqual({ token: ON.FAULT_TOKEN, initial: { errorRate: 0, latencyMs: 0, dbDown: false } });
    expect(loadConfig({ ...ON, APP_ENV: 'development', NODE_ENV: 'production' }).faults).not.toBeNull();
  });

  it('parses FAULT_ERROR_RATE, FAULT_LATENCY_MS and FAULT_DB_DOWN', () => {
    expect(loadConfig({ ...ON, FAULT_ERROR_RATE: '0.25', FAULT_LATENCY_MS: '50', FAULT_DB_DOWN: 'true' }).faults?.initial).toEqual({
      errorRate: 0.25,
      latencyMs: 50,
      dbDown: true,
    });
    expect(loadConfig({ ...ON, FAULT_ERROR_RATE: '1', FAULT_DB_DOWN: 'false' }).faults?.initial).toMatchObject({ errorRate: 1, dbDown: false });
    expect(loadConfig({ ...ON, FAULT_ERROR_RATE: '.5' }).faults?.initial.errorRate).toBe(0.5);
  });

  it.each([
    [{ APP_ENV: 'production' }, 'APP_ENV="production"'],
    [{ APP_ENV: 'staging' }, 'APP_ENV="staging"'],
    [{ APP_ENV: 'Development' }, 'APP_ENV="Development"'],
    [{ APP_ENV: undefined, NODE_ENV: 'test' }, 'APP_ENV unset'],
  ])('are refused outside development and test (%j)', (envs, got) => {
    const load = () => loadConfig({ ...ON, ...envs });
    expect(load).toThrowError(ConfigError);
    expect(load).toThrowError(
      `FAULT_INJECTION=enabled is allowed only where APP_ENV is development or test (fault injection is for tests only), got ${got}`,
    );
  });

  it.each([{ FAULT_TOKEN: undefined }, { FAULT_TOKEN: 'short-token' }])('need a FAULT_TOKEN of 16 characters or more (%j)', (envs) => {
    expect(() => loadConfig({ ...ON, ...envs })).toThrowError(
      'FAULT_INJECTION=enabled needs FAULT_TOKEN (at least 16 characters): GET and POST /_faults answer only requests bearing it',
    );
  });

  it.each([
    [{ FAULT_INJECTION: 'true' }, 'FAULT_INJECTION must be "enabled" or unset (tests only), got "true"'],
    [{ FAULT_INJECTION: 'Enabled' }, 'FAULT_INJECTION must be "enabled" or unset (tests only), got "Enabled"'],
    [{ ...ON, FAULT_ERROR_RATE: '1.5' }, 'FAULT_ERROR_RATE must be a number between 0 and 1 (e.g. "0.1" for 1 request in 10), got "1.5"'],
    [{ ...ON, FAULT_ERROR_RATE: '10%' }, 'FAULT_ERROR_RATE must be a number between 0 and 1 (e.g. "0.1" for 1 request in 10), got "10%"'],
    [{ ...ON, FAULT_ERROR_RATE: '-0.1' }, 'FAULT_ERROR_RATE must be a number between 0 and 1 (e.g. "0.1" for 1 request in 10), got "-0.1"'],
    [{ ...ON, FAULT_LATENCY_MS: '1.5' }, 'FAULT_LATENCY_MS must be an integer between 0 and 600000, got "1.5"'],
    [{ ...ON, FAULT_LATENCY_MS: '-5' }, 'FAULT_LATENCY_MS must be an integer between 0 and 600000, got "-5"'],
    [{ ...ON, FAULT_DB_DOWN: 'yes' }, 'FAULT_DB_DOWN must be "true" or "false", got "yes"'],
    [
      { FAULT_ERROR_RATE: '0.1' },
      'FAULT_ERROR_RATE is set but FAULT_INJECTION is not "enabled" (fault injection is for tests only), got FAULT_ERROR_RATE="0.1"',
    ],
    [{ FAULT_DB_DOWN: 'true', NODE_ENV: 'production' }, 'FAULT_DB_DOWN is set but FAULT_INJECTION is not "enabled"'],
  ])('rejects %j naming the variable, what is expected and the value', (env, message) => {
    expect(() => loadConfig(env)).toThrowError(ConfigError);
    expect(() => loadConfig(env)).toThrowError(message);
  });
});

describe('database URLs', () => {
  it('resolves file: paths relative to the working directory', () => {
    expect(parseDatabaseUrl('file:./data/api.sqlite', '/srv/app')).toEqual({ kind: 'sqlite', path: '/srv/app/data/api.sqlite' });
    expect(parseDatabaseUrl('file:/var/db.sqlite', '/srv')).toEqual({ kind: 'sqlite', path: '/var/db.sqlite' });
    expect(parseDatabaseUrl('postgresql://h/db')).toEqual({ kind: 'postgres', url: 'postgresql://h/db' });
    expect(() => parseDatabaseUrl('mysql://h/db')).toThrowError(/unsupported/);
  });

  it('masks passwords', () => {
    expect(maskDatabaseUrl('postgres://u:p%40ss@db:5432/x')).toBe('postgres://u:***@db:5432/x');
    expect(maskDatabaseUrl('postgres://db/x')).toBe('postgres://db/x');
    expect(maskDatabaseUrl('file:./a.sqlite')).toBe('file:./a.sqlite');
  });

  it('describes errors whose message is empty', () => {
    const err = new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' })], '');
    expect(describeError(err)).toBe('connect ECONNREFUSED ::1:5432');
  });

  it('translates ? placeholders for PostgreSQL outside quotes', () => {
    expect(toPositional('SELECT \'?\' AS q, "a?" FROM t WHERE a = ? AND b = ?')).toBe('SELECT \'?\' AS q, "a?" FROM t WHERE a = $1 AND b = $2');
  });
});
