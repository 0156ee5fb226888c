import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseApiTokens, parseCorsOrigins } from '../src/config.js';
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
