import { z } from 'zod';

export const PREDEPLOY_CHECKS = ['variables', 'lockfile', 'audit', 'secrets', 'migrations', 'tests', 'image-scan'] as const;
export type PredeployCheckName = (typeof PREDEPLOY_CHECKS)[number];

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'expected a date such as 2027-01-31' });

export const AUDIT_LEVELS = ['low', 'moderate', 'high', 'critical'] as const;

export const predeploySchema = z
  .strictObject({
    checks: z
      .array(z.enum(PREDEPLOY_CHECKS))
      .default([...PREDEPLOY_CHECKS])
      .describe('The checks to run, each where it applies (migrations for a project that migrates, image-scan for one with an image)'),
    unknown: z
      .enum(['block', 'warn'])
      .default('warn')
      .describe('A check that cannot tell (its advisory source unreachable, its tool missing): block the deploy, or say so and go on'),
    audit: z
      .strictObject({
        level: z.enum(AUDIT_LEVELS).default('high').describe('Advisories of this severity or worse fail the check'),
        registry: z.string().optional().describe("Where npm audit asks for advisories (default: npm's configured registry)"),
        allow: z
          .array(
            z.strictObject({
              id: z.union([z.int(), z.string().min(1)]).describe("The advisory's id (npm audit's `source`) or its GHSA id"),
              reason: z.string().min(1).describe('Why it does not apply to what is deployed'),
              expires: isoDate.describe('After this day the advisory fails the check again'),
            }),
          )
          .default([]),
      })
      .prefault({}),
    secrets: z
      .strictObject({
        allow: z
          .array(z.string().min(1))
          .default([])
          .describe('Findings to ignore: gitleaks fingerprints (file:rule:line) or a path glob of files with known test keys'),
      })
      .prefault({}),
  })
  .describe('Checks run before any side effect of a deploy: each passes, fails or is unknown, one line each');

export type PredeploySettings = z.infer<typeof predeploySchema>;
