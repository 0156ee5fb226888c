import { z } from 'zod';
import { duration } from './duration.ts';

/** The traffic layer in front of a service's versions, per environment. */
export const proxySchema = z
  .strictObject({
    mode: z
      .enum(['auto', 'required', 'off'])
      .optional()
      .describe(
        'required: every process/container/compose service sits behind the proxy (HAProxy) where it runs; auto: where HAProxy is installed, else the version is replaced on its port and the deploy says so; off: never. Default: required where approval is required, else auto',
      ),
    haproxy: z.string().min(1).default('haproxy').describe('The HAProxy program where the service runs (a name on PATH, or a path)'),
    keepPreviousWarm: z
      .enum(['window', 'until-next-deploy'])
      .default('window')
      .describe(
        'How long the version that served before keeps running after a switch: through the verification window (a rollback then is a switch), or until the next deploy (a manual rollback is a switch too)',
      ),
  })
  .describe("The reverse proxy of the cut-over: each version on a private port, the service's URL on the proxy, traffic switched at run time");

export type ProxySettings = z.infer<typeof proxySchema>;

/** A canary step: this share of requests to the new version, watched for `pause` by the verification triggers. */
export const canaryStepSchema = z.strictObject({
  weight: z.int().min(1).max(99).describe('Percent of requests to the new version during this step'),
  pause: duration().describe(
    "How long the step is watched (the new version's own metrics, judged by the verification triggers): at least the longest trigger's for plus one interval",
  ),
});

export const strategySchema = z
  .strictObject({
    canary: z
      .strictObject({
        steps: z
          .array(canaryStepSchema)
          .min(1)
          .refine((steps) => steps.every((s, i) => i === 0 || s.weight > steps[i - 1]!.weight), {
            error: 'each step must send more traffic than the one before',
          }),
        cookie: z
          .string()
          .regex(/^[A-Za-z0-9_-]+$/)
          .optional()
          .describe('Name of the cookie that keeps a browser on one version (default nxd_<project>)'),
      })
      .describe('Shift traffic to the new version in steps, each judged before the next; a breach sends it all back'),
  })
  .describe('How traffic moves to the new version behind the proxy (default: all at once, after the smoke test)');

export type Strategy = z.infer<typeof strategySchema>;
