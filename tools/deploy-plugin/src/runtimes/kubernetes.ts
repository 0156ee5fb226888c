import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { RunContext } from '../config/context.ts';
import { deploymentsIn, kubectlApply, kubectlRolloutStatus, kustomizeBuild, pinnedKustomization } from '../commands/kubectl.ts';
import { UserError } from '../core/errors.ts';
import { FailedWithRollback, nothingToRestore, restored, restoreFailed, type RollbackOutcome } from '../core/rollback.ts';
import type { Runtime, ServiceSpec } from './runtime.ts';

const folder = (ctx: RunContext) => join(ctx.stateDir, 'kubernetes', ctx.envName, ctx.project.name.replace(/[\\/]/g, '__'));

async function applyAndWait(file: string, spec: ServiceSpec, ctx: RunContext): Promise<void> {
  await ctx.runner.run(kubectlApply(file, { validate: ctx.env.kubernetes?.validate ?? true }));
  for (const d of deploymentsIn(readFileSync(file, 'utf8'))) await ctx.runner.run(kubectlRolloutStatus(d, spec.rolloutTimeoutMs));
}

/** Applies the manifests that were live before this deploy and waits until they are rolled out. */
async function restorePrevious(spec: ServiceSpec, ctx: RunContext): Promise<RollbackOutcome> {
  const previous = join(folder(ctx), 'previous.yaml');
  if (!existsSync(previous)) return nothingToRestore('no earlier roll-out here; the failed manifests stay applied, fix and deploy again');
  const started = Date.now();
  try {
    await applyAndWait(previous, spec, ctx);
  } catch (err) {
    return restoreFailed(`applied the previous manifests (${previous}) again, but they did not roll out (${(err as Error).message.split('\n')[0]})`);
  }
  copyFileSync(previous, join(folder(ctx), 'current.yaml'));
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  ctx.log.info(`rolled back: the previous manifests are live again (${seconds} s)`);
  const image = /image: ["']?(\S+?)["']?$/m.exec(readFileSync(previous, 'utf8'))?.[1] ?? 'the previous manifests';
  return restored(image, `rolled out again in ${seconds} s`);
}

/**
 * Runtime `kubernetes`: the environment's kustomize overlay rendered with the image pinned to the
 * pushed digest, applied, and waited for with `kubectl rollout status`. The manifests live before
 * are kept as previous.yaml: a failed roll-out, or a later failed step, applies them again.
 */
export const kubernetesRuntime: Runtime = {
  name: 'kubernetes',
  needsImage: true,

  plan(spec, ctx) {
    const overlay = spec.manifests.replaceAll('{environment}', ctx.envName);
    return [
      { title: `render ${overlay} with the image pinned to the pushed digest`, command: kustomizeBuild('<pinned kustomization>') },
      { title: 'apply', command: kubectlApply('<rendered manifests>', { validate: ctx.env.kubernetes?.validate ?? true }) },
      { title: 'wait for each Deployment', command: kubectlRolloutStatus({ name: '<name>', namespace: '<namespace>' }, spec.rolloutTimeoutMs) },
      { title: 'if it does not complete, or a later step fails: apply the previous manifests again' },
    ];
  },

  async start(spec, ctx) {
    if (!spec.image) throw new UserError(`${ctx.project.name}: no image to run`);
    const overlay = join(ctx.workspaceRoot, ctx.project.root, spec.manifests.replaceAll('{environment}', ctx.envName));
    if (!existsSync(join(overlay, 'kustomization.yaml')))
      throw new UserError(`${ctx.project.name}: no kustomization.yaml in ${overlay} (rollout option manifests)`);
    const dir = folder(ctx);
    const build = join(dir, 'pinned');
    mkdirSync(build, { recursive: true });
    writeFileSync(
      join(build, 'kustomization.yaml'),
      pinnedKustomization(relative(build, overlay), spec.manifestImage ?? ctx.project.name, spec.image),
    );
    const rendered = await ctx.runner.run(kustomizeBuild(build), { quiet: true });
    const next = join(dir, `${ctx.deployId}.yaml`);
    writeFileSync(next, rendered.stdout);
    const current = join(dir, 'current.yaml');
    if (existsSync(current)) copyFileSync(current, join(dir, 'previous.yaml'));
    try {
      await applyAndWait(next, spec, ctx);
    } catch (err) {
      const outcome = await restorePrevious(spec, ctx);
      throw new FailedWithRollback(`${ctx.project.name}: the roll-out did not complete (${(err as Error).message.split('\n')[0]})`, outcome);
    }
    copyFileSync(next, current);
    ctx.log.info(`rolled out ${spec.image} (manifests: ${next})`);
    return { artifact: spec.image, detail: `kubernetes: ${spec.image.split('@')[1]?.slice(0, 19)}` };
  },

  restore: restorePrevious,
};
