import { z } from 'zod';
import { duration } from './duration.ts';

export const loadBudgetSchema = z
  .strictObject({
    p95Ms: z.number().positive().optional().describe('95th percentile of response time, at most (ms)'),
    p99Ms: z.number().positive().optional().describe('99th percentile of response time, at most (ms)'),
    maxErrorRate: z.number().min(0).max(1).default(0.01).describe('Share of requests answered non-2xx, failed or timed out, at most (0.01 = 1%)'),
    minRps: z.number().positive().optional().describe('Requests per second, at least'),
  })
  .describe('What the load test must meet; a miss fails the deploy');

export const loadtestSchema = z
  .strictObject({
    path: z.string().startsWith('/').default('/health').describe("Requested on the service's URL"),
    method: z.enum(['GET', 'POST', 'PUT', 'DELETE', 'HEAD']).default('GET'),
    headers: z.record(z.string(), z.string()).default({}).describe('Request headers; values may use ${VAR}'),
    duration: duration().default('30s'),
    connections: z.int().min(1).max(1000).default(10).describe('Concurrent connections'),
    budget: loadBudgetSchema
      .optional()
      .describe('Run a load test in this environment against this budget (autocannon, latencies in an HDR histogram)'),
    require: z
      .strictObject({
        environment: z.string().min(1).describe('Where the load test must have passed (staging)'),
        maxAge: duration().default('24h').describe('How old that passing load test may be'),
      })
      .optional()
      .describe('Refuse the deploy unless the same commit passed a load test there recently (production)'),
  })
  .refine((l) => l.budget || l.require, { error: 'give a budget (run a load test here) or require (one must have passed elsewhere), or both' })
  .describe("The runbook's load test before production");

export type LoadtestSettings = z.infer<typeof loadtestSchema>;
export type LoadBudget = z.infer<typeof loadBudgetSchema>;
