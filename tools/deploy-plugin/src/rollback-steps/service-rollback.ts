import { z } from 'zod';
import { serviceUrl } from '../config/services.ts';
import { UserError } from '../core/errors.ts';
import { describeOutcome } from '../core/rollback.ts';
import type { KeptVersion } from '../runtimes/runtime.ts';
import { previousVersion, restorePrevious, rolloutOptions } from '../steps/rollout.ts';
import type { StepContext, StepDefinition } from '../step-kit/step.ts';

const options = rolloutOptions.extend({
  to: z
    .string()
    .min(1)
    .optional()
    .describe('The version to go back to: it must be the one kept (its version, commit or image digest, a prefix of 7+ will do)'),
});

/**
 * Pure: whether `to` names the kept version: exactly one of its names, or a prefix (7+ characters)
 * of its commit, its image, or its image's digest (with or without `sha256:`).
 */
export function namesKept(kept: Pick<KeptVersion, 'names'>, to: string): boolean {
  return kept.names.some((n) => {
    if (n === to) return true;
    if (to.length < 7) return false;
    const digest = n.split('@')[1];
    return n.startsWith(to) || Boolean(digest && (digest.startsWith(to) || digest.replace(/^sha256:/, '').startsWith(to)));
  });
}

/** What preflight found kept, by deploy: the run goes straight to the switch (a rollback is an incident: every moment counts). */
const checked = new Map<string, KeptVersion>();

async function keptOrRefuse(o: z.infer<typeof options>, ctx: StepContext): Promise<KeptVersion> {
  const known = checked.get(ctx.deployId);
  if (known) return known;
  const kept = await previousVersion(o, ctx);
  const refused = `${ctx.project.name} in ${ctx.envName} cannot be rolled back`;
  if ('problem' in kept) throw new UserError(`${refused}: ${kept.problem}; nothing was changed`);
  if (o.to && !namesKept(kept, o.to)) {
    throw new UserError(
      `${refused} to ${o.to}: the only version kept for a rollback is ${kept.what}; nothing was changed. ` +
        `To run another version, deploy it from its commit (git checkout <commit> && nx run ${ctx.project.name}:deploy -c ${ctx.envName}).`,
    );
  }
  checked.set(ctx.deployId, kept);
  return kept;
}

/**
 * `nx-deploy rollback <backend>`: the version that served before the current one runs again (its
 * release folder, container, compose project or manifests, with its settings), checked healthy:
 * what a failed deploy does, asked for by a person. Refused before anything changes when no
 * earlier version is kept, when it is gone (its image no longer in the registry), or when `--to`
 * names another.
 */
export const serviceRollbackStep: StepDefinition<typeof options> = {
  options,

  plan(o, ctx) {
    return [
      { title: `start the version of ${ctx.project.name} that served before the current one${o.to ? ` (${o.to})` : ''} again, checked healthy` },
    ];
  },

  async preflight(o, ctx) {
    const kept = await keptOrRefuse(o, ctx);
    ctx.log.info(`rolling back to ${kept.what}`);
  },

  async run(o, ctx) {
    const kept = await keptOrRefuse(o, ctx);
    const outcome = await restorePrevious(o, ctx);
    if (outcome.outcome !== 'restored') throw new UserError(`${ctx.project.name}: ${describeOutcome(outcome)}`);
    // The version the ledger knows for what serves again (a Kubernetes roll-out keeps only its image).
    const recorded = await ctx.ledger.latest(ctx.envName, ctx.project.name, (r) => Boolean(r.image && kept.names.includes(r.image)));
    return {
      artifact: outcome.serving,
      url: serviceUrl(ctx),
      version: recorded?.version ?? kept.version,
      detail: `${outcome.serving} serves again (${outcome.detail})`,
      ...(outcome.servers ? { servers: outcome.servers } : {}),
    };
  },
};
