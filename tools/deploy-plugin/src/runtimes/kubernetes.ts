import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  deploymentsIn,
  kubectlApply,
  kubectlRolloutStatus,
  kustomizeBuild,
  pinnedKustomization,
  rolloutGaps,
  secretsIn,
} from '../commands/kubectl.ts';
import { UserError } from '../core/errors.ts';
import { imageServed } from '../image/engine.ts';
import { FailedWithRollback, nothingToRestore, restored, restoreFailed, type RollbackOutcome } from '../core/rollback.ts';
import type { Runtime, RuntimeContext, ServiceSpec } from './runtime.ts';
import { safely } from './safely.ts';
import { fileSafeName, nameSlug } from '../core/names.ts';

const safe = (ctx: RuntimeContext) => fileSafeName(ctx.project.name);
/** Where kubectl reads the manifests from: files of this machine (the state folder). */
const workDir = (ctx: RuntimeContext) => join(ctx.stateDir, 'kubernetes', ctx.envName, safe(ctx));
/** What is live, and what was live before: blobs in the state store, so a rollback from another machine finds them. */
const blob = (ctx: RuntimeContext, which: 'current' | 'previous') => `kubernetes/${ctx.envName}/${safe(ctx)}/${which}.yaml`;

async function applyAndWait(manifests: string, name: string, spec: ServiceSpec, ctx: RuntimeContext): Promise<void> {
  mkdirSync(workDir(ctx), { recursive: true, mode: 0o700 });
  const file = join(workDir(ctx), name);
  writeFileSync(file, manifests, { mode: 0o600 });
  await ctx.runner.run(kubectlApply(file, { validate: ctx.env.kubernetes?.validate ?? true }));
  for (const d of deploymentsIn(manifests)) await ctx.runner.run(kubectlRolloutStatus(d, spec.rolloutTimeoutMs));
}

/** The image a rendered manifest runs (the first container's). */
const imageOf = (manifests: string) => /image: ["']?(\S+?)["']?$/m.exec(manifests)?.[1];

/** Applies the manifests that were live before this deploy and waits until they are rolled out. */
async function restorePrevious(spec: ServiceSpec, ctx: RuntimeContext): Promise<RollbackOutcome> {
  const previous = await ctx.blobs.get(blob(ctx, 'previous'));
  if (!previous) return nothingToRestore('no earlier roll-out here; the failed manifests stay applied, fix and deploy again');
  const started = Date.now();
  try {
    await applyAndWait(previous, 'previous.yaml', spec, ctx);
  } catch (err) {
    return restoreFailed(
      `applied the previous manifests (${blob(ctx, 'previous')}) again, but they did not roll out (${(err as Error).message.split('\n')[0]})`,
    );
  }
  await ctx.blobs.put(blob(ctx, 'current'), previous);
  // What served before is live now: nothing earlier is kept (as the other runtimes keep one version back).
  await ctx.blobs.put(blob(ctx, 'previous'), '');
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  ctx.log.info(`rolled back: the previous manifests are live again (${seconds} s)`);
  const image = imageOf(previous) ?? 'the previous manifests';
  return restored(image, `rolled out again in ${seconds} s`);
}

/**
 * Runtime `kubernetes`: the environment's kustomize overlay rendered with the image pinned to the
 * pushed digest, applied, and waited for with `kubectl rollout status`. The manifests live before
 * are kept (in the state store) as the previous ones: a failed roll-out, or a later failed step,
 * applies them again.
 */
export const kubernetesRuntime: Runtime = {
  name: 'kubernetes',
  needsImage: true,

  async previous(ctx) {
    const previous = await ctx.blobs.get(blob(ctx, 'previous'));
    if (!previous) return { problem: 'no earlier roll-out is kept (it was never replaced, or was already restored)' };
    const image = imageOf(previous);
    if (!image) return { problem: `the previous manifests (${blob(ctx, 'previous')}) name no image` };
    if (!(await imageServed(image, ctx.env.containers, ctx.environ)))
      return { problem: `its image ${image} is gone from the registry (the cluster could not pull it)` };
    return { version: image.split('@')[1]?.slice(0, 19) ?? image, what: `the previous manifests with ${image}`, names: [image] };
  },

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
    const build = join(workDir(ctx), 'pinned');
    mkdirSync(build, { recursive: true });
    writeFileSync(
      join(build, 'kustomization.yaml'),
      pinnedKustomization(relative(build, overlay), spec.manifestImage ?? nameSlug(ctx.project.name), spec.image),
    );
    const rendered = (
      await ctx.runner.run(kustomizeBuild(build), { quiet: true }).catch((err: Error) => {
        throw new UserError(`${ctx.project.name}: could not render the overlay ${overlay} (rollout option manifests): ${err.message}`);
      })
    ).stdout;
    // Rendered manifests are kept in the state store for a rollback: no secret value may be among them.
    const secrets = secretsIn(rendered);
    if (secrets.length)
      throw new UserError(
        `${ctx.project.name}: the manifests of ${ctx.envName} hold Secret objects (${secrets.join(', ')}), so nothing was applied: ` +
          'rendered manifests are kept in the state store, which is no place for secret values. Create the Secret in the cluster out of band (or with an external secrets operator) and keep only the reference (secretKeyRef) in the overlay.',
      );
    // The cluster's own rolling update must never leave the service without a ready pod.
    const gaps = rolloutGaps(rendered);
    if (gaps.length)
      throw new UserError(
        `${ctx.project.name}: the manifests of ${ctx.envName} could drop requests during a roll-out, so nothing was applied:\n  ${gaps.join('\n  ')}\n` +
          'Give each Deployment strategy.rollingUpdate.maxUnavailable: 0 and each container a readinessProbe.',
      );
    const current = await ctx.blobs.get(blob(ctx, 'current'));
    if (current) await ctx.blobs.put(blob(ctx, 'previous'), current);
    try {
      await applyAndWait(rendered, `${ctx.deployId}.yaml`, spec, ctx);
    } catch (err) {
      const outcome = await safely(restorePrevious(spec, ctx));
      throw new FailedWithRollback(`${ctx.project.name}: the roll-out did not complete (${(err as Error).message.split('\n')[0]})`, outcome);
    }
    await ctx.blobs.put(blob(ctx, 'current'), rendered);
    ctx.log.info(`rolled out ${spec.image}`);
    return { artifact: spec.image, detail: `kubernetes: ${spec.image.split('@')[1]?.slice(0, 19)}` };
  },

  restore: (spec, ctx) => safely(restorePrevious(spec, ctx)),
};
