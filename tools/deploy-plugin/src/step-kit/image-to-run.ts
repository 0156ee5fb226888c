import { UserError } from '../core/errors.ts';
import type { StepContext } from './step.ts';

/**
 * The image a roll-out runs: the one an earlier step of this deploy built or promoted, or, when
 * the roll-out runs alone, the last image recorded good in this environment for this very commit.
 */
export async function imageToRun(ctx: StepContext): Promise<string> {
  const built = ctx.results.findLast((r) => r.image)?.image;
  if (built) return built;
  const recorded = await ctx.ledger.latest(
    ctx.envName,
    ctx.project.name,
    (r) => r.status === 'succeeded' && r.gitSha === ctx.gitSha && Boolean(r.image),
  );
  if (recorded?.image) {
    ctx.log.info(`rolling out ${recorded.image}, recorded good in ${ctx.envName} for this commit (${recorded.kind} ${recorded.id})`);
    return recorded.image;
  }
  throw new UserError(
    `${ctx.project.name}: no image of commit ${ctx.gitSha.slice(0, 12)} is recorded in ${ctx.envName}, so there is nothing to roll out. ` +
      `Build it first (nx run ${ctx.project.name}:build-image -c ${ctx.envName}), or run the whole deploy (nx run ${ctx.project.name}:deploy -c ${ctx.envName}).`,
  );
}
