import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { deploymentsIn, kubectlApply, kubectlRolloutStatus, kustomizeBuild, pinnedKustomization } from '../commands/kubectl.ts';
import { RolledBack, UserError } from '../core/errors.ts';
import type { StepContext, StepResult } from './step.ts';

export interface KubernetesOptions {
  /** Overlay folder of the project, `{environment}` replaced by the environment's name. */
  manifests: string;
  /** The image name the manifests use, replaced by the pushed image pinned by digest. */
  manifestImage?: string;
  rolloutTimeoutMs: number;
}

function folder(ctx: StepContext): string {
  return join(ctx.stateDir, 'kubernetes', ctx.envName, ctx.project.name);
}

async function applyAndWait(file: string, o: KubernetesOptions, ctx: StepContext): Promise<void> {
  await ctx.runner.run(kubectlApply(file, { validate: ctx.env.kubernetes?.validate ?? true }));
  for (const d of deploymentsIn(readFileSync(file, 'utf8'))) await ctx.runner.run(kubectlRolloutStatus(d, o.rolloutTimeoutMs));
}

/**
 * Renders the environment's overlay with the image pinned to the pushed digest, applies it and
 * waits for `kubectl rollout status`. The manifests that were live before are kept as
 * previous.yaml: a failed roll-out, or a later failed step, applies them again.
 */
export async function rolloutKubernetes(o: KubernetesOptions, ctx: StepContext): Promise<StepResult> {
  const image = ctx.outputs['build-image']?.image;
  if (!image) throw new UserError(`${ctx.project.name}: a Kubernetes roll-out deploys the image build-image pushed; run the whole deploy (nx run ${ctx.project.name}:deploy -c ${ctx.envName})`);
  const overlay = join(ctx.workspaceRoot, ctx.project.root, o.manifests.replaceAll('{environment}', ctx.envName));
  if (!existsSync(join(overlay, 'kustomization.yaml'))) throw new UserError(`${ctx.project.name}: no kustomization.yaml in ${overlay} (rollout option manifests)`);
  const dir = folder(ctx);
  const build = join(dir, 'pinned');
  mkdirSync(build, { recursive: true });
  writeFileSync(join(build, 'kustomization.yaml'), pinnedKustomization(relative(build, overlay), o.manifestImage ?? ctx.project.name, image));
  const rendered = await ctx.runner.run(kustomizeBuild(build), { quiet: true });
  const next = join(dir, `${ctx.deployId}.yaml`);
  writeFileSync(next, rendered.stdout);
  const current = join(dir, 'current.yaml');
  const previous = join(dir, 'previous.yaml');
  if (existsSync(current)) copyFileSync(current, previous);
  try {
    await applyAndWait(next, o, ctx);
  } catch (err) {
    const restored = await restorePreviousManifests(o, ctx);
    throw new RolledBack(`${ctx.project.name}: the roll-out did not complete (${(err as Error).message.split('\n')[0]})`, restored);
  }
  copyFileSync(next, current);
  ctx.log.info(`rolled out ${image} (manifests: ${next})`);
  return { image, artifact: image, detail: `kubernetes: ${image.split('@')[1]?.slice(0, 19)}` };
}

/** Applies the manifests that were live before this deploy and waits for them. */
export async function restorePreviousManifests(o: KubernetesOptions, ctx: StepContext): Promise<string> {
  const dir = folder(ctx);
  const previous = join(dir, 'previous.yaml');
  if (!existsSync(previous)) return 'there was no earlier roll-out here to go back to';
  const started = Date.now();
  await applyAndWait(previous, o, ctx);
  copyFileSync(previous, join(dir, 'current.yaml'));
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  ctx.log.info(`rolled back: the previous manifests are live again (${seconds} s)`);
  return `rolled back to the previous manifests (rolled out again in ${seconds} s)`;
}
