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
