import { z } from 'zod';
import type { ProbeResponse } from '../core/http.ts';

export const smokeCheckSchema = z.strictObject({
  name: z.string().min(1),
  path: z.string().startsWith('/'),
  method: z.enum(['GET', 'POST', 'PUT', 'DELETE', 'HEAD']).default('GET'),
  headers: z.record(z.string(), z.string()).default({}).describe('Values may use ${VAR}; secret values are redacted'),
  body: z.string().optional(),
  expect: z.strictObject({
    status: z
      .union([z.int().min(100).max(599), z.string().regex(/^[1-5]xx(\|[1-5]xx)*$/, { error: "a status code, or classes such as '2xx|3xx'" })])
      .default(200)
      .describe("A status code, or status classes such as '2xx|3xx'"),
    json: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
      .optional()
      .describe('Dotted path -> expected value'),
    headers: z.record(z.string(), z.string()).optional().describe('Header -> regular expression its value must match'),
    maxLatencyMs: z.int().positive().optional(),
  }),
  attempts: z
    .int()
    .min(1)
    .max(10_000)
    .default(1)
    .describe('Send up to this many requests in a row until one meets the expectation (e.g. 429 past a rate limit)'),
});

export type SmokeCheck = z.infer<typeof smokeCheckSchema>;

function valueAt(value: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), value);
}

/** Pure: a status against an expected code or classes ('2xx|3xx'). */
export function statusMatches(expected: number | string, status: number): boolean {
  if (typeof expected === 'number') return status === expected;
  return expected.split('|').some((c) => Math.floor(status / 100) === Number(c[0]));
}

/** Pure: why a response fails a check's expectation, or undefined when it passes. */
export function judge(check: SmokeCheck, res: Pick<ProbeResponse, 'status' | 'headers' | 'body' | 'latencyMs'>): string | undefined {
  const e = check.expect;
  if (!statusMatches(e.status, res.status)) return `expected status ${e.status}, got ${res.status}${res.body ? `: ${res.body.slice(0, 120)}` : ''}`;
  if (e.maxLatencyMs !== undefined && res.latencyMs > e.maxLatencyMs) return `took ${res.latencyMs} ms, more than ${e.maxLatencyMs} ms`;
  for (const [name, pattern] of Object.entries(e.headers ?? {})) {
    const got = res.headers.get(name);
    if (got === null) return `header ${name} is missing`;
    if (!new RegExp(pattern).test(got)) return `header ${name} is '${got}', which does not match /${pattern}/`;
  }
  if (e.json) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.body);
    } catch {
      return `expected a JSON body, got: ${res.body.slice(0, 120)}`;
    }
    for (const [path, want] of Object.entries(e.json)) {
      const got = valueAt(parsed, path);
      if (got !== want) return `JSON ${path} is ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`;
    }
  }
  return undefined;
}
