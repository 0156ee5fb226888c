import { z } from 'zod';
import { siteOf } from '../config/cdn.ts';
import { UserError } from '../core/errors.ts';
import { assertServable, serveAgain } from '../cdn/publish.ts';
import { openSite } from '../steps/deploy-cdn.ts';
import type { StepDefinition } from '../step-kit/step.ts';

const options = z.strictObject({ to: z.string().min(1).describe('The release to serve again') });

/**
 * `nx-deploy rollback <frontend>`: an earlier release serves again by switching its entry points
 * back (its assets are still stored): no build, no upload. Refused before anything changes when
 * the release was pruned.
 */
export const cdnRollbackStep: StepDefinition<typeof options> = {
  options,

  plan(o, ctx) {
    return [
      {
        title: `serve release ${o.to} of ${ctx.project.name} again at ${siteOf(ctx.env, ctx.envName, ctx.project.name).url}: entry points switched back, nothing uploaded`,
      },
    ];
  },

  async preflight(o, ctx) {
    const { provider, releases } = await openSite(ctx);
    try {
      await provider.check();
      await assertServable(provider, releases, o.to);
    } finally {
      provider.close();
    }
  },

  async run(o, ctx) {
    const { site, provider, releases } = await openSite(ctx);
    try {
      const target = (await releases.index()).releases.find((r) => r.id === o.to);
      if (!target) throw new UserError(`release ${o.to} is not in the release index of ${ctx.project.name} in ${ctx.envName}`);
      const started = performance.now();
      const switched = await serveAgain({ provider, releases, target });
      const ms = Math.round(performance.now() - started);
      ctx.log.info(
        `release ${target.id} (${target.version}, ${target.gitSha.slice(0, 8)}) serves again: ${switched} entry points switched in ${ms} ms, nothing uploaded`,
      );
      return { artifact: target.id, url: site.url, detail: `release ${target.id} serves again (switched in ${ms} ms)` };
    } finally {
      provider.close();
    }
  },
};
