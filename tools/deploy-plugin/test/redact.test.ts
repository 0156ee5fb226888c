import { describe, expect, it } from 'vitest';
import { Redactor } from '../src/core/redact.ts';

describe('Redactor', () => {
  it('removes registered values, URL-encoded forms and a URL password', () => {
    const r = new Redactor();
    r.add('s3cr3t/token');
    r.add('postgres://pod:pa55word@db:5432/pod');
    expect(r.redact('a s3cr3t/token b s3cr3t%2Ftoken')).toBe('a *** b ***');
    expect(r.redact('PGPASSWORD=pa55word')).toBe('PGPASSWORD=***');
    expect(r.redact('url postgres://pod:pa55word@db:5432/pod')).toBe('url ***');
  });

  it('ignores unset and too-short values so ordinary text survives', () => {
    const r = new Redactor();
    r.add(undefined);
    r.add('ab');
    expect(r.redact('ab cd')).toBe('ab cd');
  });

  it('redacts a secret with quotes and backslashes inside records (JSON would escape it)', () => {
    const r = new Redactor();
    r.add('pa"ss\\word');
    expect(r.redactDeep({ reason: 'login with pa"ss\\word failed', n: 3 })).toEqual({ reason: 'login with *** failed', n: 3 });
  });

  it('redacts inside nested records', () => {
    const r = new Redactor();
    r.addFromEnv(['TOKEN'], { TOKEN: 'tok-12345' });
    expect(r.redactDeep({ a: ['x tok-12345'], b: { c: 'tok-12345' } })).toEqual({ a: ['x ***'], b: { c: '***' } });
  });
});

describe('Redactor: the forms a secret travels in', () => {
  const secret = 'Tr0ub4dor&3"horse/battery';

  it('redacts a pasted value with its trailing newline, and the value without it', () => {
    const r = new Redactor();
    r.add(`${secret}\n`);
    expect(r.redact(`token ${secret} end`)).toBe('token *** end');
    expect(r.redact(`token ${secret}\n end`)).not.toContain('Tr0ub4dor');
  });

  it('redacts its JSON-escaped and URL-encoded forms', () => {
    const r = new Redactor();
    r.add(secret);
    expect(r.redact(JSON.stringify({ token: secret }))).toBe('{"token":"***"}');
    expect(r.redact(`?token=${encodeURIComponent(secret)}&x=1`)).toBe('?token=***&x=1');
  });

  it('redacts it base64-encoded alone and inside a Basic auth header, whatever the user name', () => {
    const r = new Redactor();
    r.add(secret);
    expect(r.redact(Buffer.from(secret).toString('base64'))).toBe('***');
    for (const user of ['a', 'ab', 'abc', 'deploy-bot']) {
      const header = `Authorization: Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
      expect(r.redact(header), user).not.toContain(Buffer.from(secret).subarray(3, 9).toString('base64'));
      expect(r.redact(header)).toContain('***');
    }
  });

  it("redacts a URL's user:password pair base64-encoded (Basic auth built from the URL)", () => {
    const r = new Redactor();
    r.add('https://deployer:pa55-w0rd-x@registry.example/v2/');
    expect(r.redact(`Basic ${Buffer.from('deployer:pa55-w0rd-x').toString('base64')}`)).toBe('Basic ***');
  });
});
