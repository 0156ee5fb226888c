import { serviceUrl } from '../config/services.ts';
import { UserError } from '../core/errors.ts';
import { describeOutcome } from '../core/rollback.ts';
import { previousVersion, restorePrevious, rolloutOptions } from './rollout.ts';
import type { StepDefinition } from './step.ts';

/**
 * `nx-deploy rollback <backend>`: the version that served before the current one runs again (its
 * release folder or container, with its settings), checked healthy: what a failed deploy does,
 * asked for by a person. Refused before anything changes when no earlier version is kept.
 */
export const serviceRollbackStep: StepDefinition<typeof rolloutOptions> = {
  options: rolloutOptions,

  plan(_o, ctx) {
    return [{ title: `start the version of ${ctx.project.name} that served before the current one again, checked healthy` }];
  },

  async preflight(_o, ctx) {
    const previous = await previousVersion(ctx);
    if ('problem' in previous)
      throw new UserError(`${ctx.project.name} in ${ctx.envName} cannot be rolled back: ${previous.problem}; nothing was changed`);
    ctx.log.info(`rolling back to ${previous.what}`);
  },

  async run(o, ctx) {
    const outcome = await restorePrevious(o, ctx);
    if (outcome.outcome !== 'restored') throw new UserError(`${ctx.project.name}: ${describeOutcome(outcome)}`);
    return { artifact: outcome.serving, url: serviceUrl(ctx), detail: `${outcome.serving} serves again (${outcome.detail})` };
  },
};
