import { describe, expect, it } from 'vitest';
import { judge, smokeCheckSchema } from '../src/step-kit/smoke-checks.ts';

const check = (expect: Record<string, unknown>) => smokeCheckSchema.parse({ name: 'c', path: '/health', expect });
const res = (status: number, body = '', headers: Record<string, string> = {}, latencyMs = 5) => ({
  status,
  body,
  headers: new Headers(headers),
  latencyMs,
});

describe('smoke judge', () => {
  it('passes a matching response', () => {
    expect(judge(check({ status: 200, json: { status: 'ok', 'db.up': true } }), res(200, '{"status":"ok","db":{"up":true}}'))).toBeUndefined();
  });

  it('explains a wrong status, JSON field, header and latency', () => {
    expect(judge(check({ status: 200 }), res(503, 'down'))).toBe('expected status 200, got 503: down');
    expect(judge(check({ json: { status: 'ok' } }), res(200, '{"status":"degraded"}'))).toBe('JSON status is "degraded", expected "ok"');
    expect(judge(check({ json: { status: 'ok' } }), res(200, '<html>'))).toMatch(/expected a JSON body/);
    expect(judge(check({ headers: { 'x-version': '^1\\.' } }), res(200, '', { 'x-version': '2.0' }))).toMatch(/does not match/);
    expect(judge(check({ headers: { 'x-version': '.' } }), res(200))).toBe('header x-version is missing');
    expect(judge(check({ maxLatencyMs: 100 }), res(200, '', {}, 250))).toBe('took 250 ms, more than 100 ms');
  });
});
