import { z } from 'zod';
import { DURATION, parseDuration } from '../core/duration.ts';
import { duration } from './duration.ts';

export const METRICS = ['health', 'ready', 'errorRate', 'latencyP95', 'latencyP99'] as const;
export type MetricName = (typeof METRICS)[number];

export const triggerSchema = z
  .strictObject({
    name: z.string().min(1).optional().describe('For messages and the ledger (default: metric and threshold)'),
    metric: z
      .enum(METRICS)
      .describe(
        'health / ready: the health or readiness (database) endpoint fails; errorRate: 5xx share of requests; latencyP95 / latencyP99: request duration quantile',
      ),
    threshold: z
      .number()
      .nonnegative()
      .optional()
      .describe('errorRate: a fraction (0.05 = 5%); latency: milliseconds; breached when the value is ABOVE it. Not used by health and ready'),
    for: duration().describe('The breach must hold on every sample for this long (consecutive samples spanning it) before the trigger fires'),
    minSamples: z.int().min(1).default(2).describe('Fewest consecutive breaching samples, whatever `for` says'),
    minRequests: z.int().min(1).default(20).describe('errorRate, latency: fewer requests than this in an interval is inconclusive, never 0% or fast'),
    onMissing: z
      .enum(['breach', 'ignore', 'inconclusive'])
      .default('inconclusive')
      .describe(
        'A sample that could not be taken (endpoint down, metric absent): counts as a breach, is skipped, or makes the trigger inconclusive (a human is alerted; never a rollback)',
      ),
    action: z.enum(['rollback', 'alert']).default('rollback'),
    severity: z.enum(['critical', 'warning', 'info']).default('critical'),
  })
  .refine((t) => t.metric === 'health' || t.metric === 'ready' || t.threshold !== undefined, {
    error: 'errorRate and latency triggers need a threshold',
    path: ['threshold'],
  });

export type Trigger = z.infer<typeof triggerSchema>;

/**
 * The runbook's rules: roll back when health fails for more than 5 minutes, the error rate stays
 * above 5% for 2 minutes, p95 latency above 2 s for 3 minutes, or the database connection fails;
 * alert critical above 10% errors, warning above 2% errors or 1 s latency.
 */
export const RUNBOOK_TRIGGERS: z.input<typeof triggerSchema>[] = [
  { metric: 'health', for: '5m' },
  { metric: 'ready', for: '1m', name: 'database connection' },
  { metric: 'errorRate', threshold: 0.05, for: '2m' },
  { metric: 'latencyP95', threshold: 2000, for: '3m' },
  { metric: 'errorRate', threshold: 0.1, for: '1m', action: 'alert', severity: 'critical' },
  { metric: 'errorRate', threshold: 0.02, for: '2m', action: 'alert', severity: 'warning' },
  { metric: 'latencyP95', threshold: 1000, for: '3m', action: 'alert', severity: 'warning' },
];

export const verifySchema = z
  .strictObject({
    window: duration()
      .default('6m')
      .describe('How long the new version is watched after the cut-over (at least the longest `for` plus one interval)'),
    interval: duration().default('15s').describe('Time between samples'),
    triggers: z.array(triggerSchema).default(RUNBOOK_TRIGGERS.map((t) => triggerSchema.parse(t))),
  })
  .superRefine((v, ctx) => {
    const longest = unfireableIn(v.window, v.interval, v.triggers);
    if (longest)
      ctx.addIssue({
        code: 'custom',
        path: ['window'],
        message: `${v.window} is shorter than the longest trigger's for (${longest.for}, ${longest.name ?? longest.metric}) plus one interval (${v.interval}): that trigger could never fire; lengthen the window or shorten its for`,
      });
  })
  .describe('The verification window after a roll-out: what is sampled and which sustained breaches roll back or alert');

export type VerifySettings = z.infer<typeof verifySchema>;

/**
 * Pure: the longest trigger when it could never fire while something is watched for `span`
 * sampled every `interval`: its breach must span `for`, and a rate or latency has no value before
 * the second sample, so `span` must be at least `for` plus one interval. Undefined when every
 * trigger can fire (or a duration is malformed: its own rule reports that).
 */
export function unfireableIn(span: string, interval: string, triggers: Pick<Trigger, 'for' | 'name' | 'metric'>[]) {
  if (![span, interval, ...triggers.map((t) => t.for)].every((d) => DURATION.test(d))) return undefined;
  const ms = (d: string) => parseDuration(d, 'verify');
  const longest = triggers.reduce((a, t) => (ms(t.for) > ms(a.for) ? t : a), triggers[0]!);
  return longest && ms(span) < ms(longest.for) + ms(interval) ? longest : undefined;
}

/** What canary steps are judged by: the environment's verification triggers and interval, else the runbook's. */
export function canaryJudging(verify: VerifySettings | undefined): { triggers: Trigger[]; interval: string } {
  const settings = verify ?? verifySchema.parse({});
  return {
    triggers: settings.triggers.length ? settings.triggers : RUNBOOK_TRIGGERS.map((t) => triggerSchema.parse(t)),
    interval: settings.interval,
  };
}

export const rollbackSchema = z
  .strictObject({
    database: z
      .enum(['restore', 'never'])
      .default('never')
      .describe("restore: an automatic or failed deploy's rollback also restores the database from this deploy's backup (only when it migrated)"),
  })
  .describe('What a rollback may undo besides the services');
