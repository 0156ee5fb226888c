import { join } from 'node:path';
import { z } from 'zod';
import { UserError } from '../core/errors.ts';
import { CratePublisher } from '../release/crate-publisher.ts';
import { describePackage } from '../release/discover.ts';
import { distTagFor } from '../release/dist-tag.ts';
import { NpmPublisher } from '../release/npm-publisher.ts';
import { npmPack } from '../commands/npm.ts';
import type { Publisher, ReleasePackage } from '../release/package.ts';
import type { PlanContext, StepContext, StepDefinition, StepResult } from './step.ts';

function packageOf(ctx: PlanContext, kind: ReleasePackage['kind']): ReleasePackage {
  const described = describePackage(join(ctx.workspaceRoot, ctx.project.root));
  if (!described || described.pkg.kind !== kind) {
    throw new UserError(`${ctx.project.name}: ${kind === 'npm' ? 'a non-private package.json' : 'a Cargo.toml beside a private package.json'} is needed to publish it`);
  }
  return described.pkg;
}

/** Is it out? pack, publish, wait until visible: the same path as a release, for one package. */
async function publishPackage(pkg: ReleasePackage, publisher: Publisher, ctx: StepContext): Promise<StepResult> {
  const artifact = `${pkg.kind}:${pkg.name}@${pkg.version}`;
  if (await publisher.isPublished(pkg)) {
    ctx.log.info(`${pkg.name}@${pkg.version} is already published`);
    return { artifact, detail: 'already published' };
  }
  await publisher.publish(pkg, await publisher.pack(pkg));
  await publisher.waitUntilVisible(pkg);
  ctx.log.info(`published ${pkg.name}@${pkg.version}`);
  return { artifact, detail: 'published' };
}

const npmOptions = z.strictObject({
  environment: z.string().optional(),
  distTag: z.string().min(1).optional().describe("Overrides the environment's npm.distTag (prereleases still get their own tag)"),
});

export const publishNpmStep: StepDefinition<typeof npmOptions> = {
  name: 'publish-npm',
  description: "Publish the package's packed tarball to the environment's npm registry unless that version is out",
  options: npmOptions,
  plan(o, ctx) {
    const pkg = packageOf(ctx, 'npm');
    const npm = ctx.env.npm;
    if (!npm) return [{ title: `skipped: ${ctx.envName} has no npm registry` }];
    return [
      { title: `check ${npm.registry} for ${pkg.name}@${pkg.version}` },
      { title: 'pack once', command: npmPack([pkg.publishDir!], '<temporary folder>') },
      { title: `publish the tarball with dist-tag ${distTagFor(pkg.version, o.distTag ?? npm.distTag)}, then wait until it is visible` },
    ];
  },
  async run(o, ctx) {
    const npm = ctx.env.npm;
    if (!npm) return { skipped: `${ctx.envName} has no npm registry (environments.${ctx.envName}.npm in deploy.json)` };
    const publisher = new NpmPublisher(
      {
        registry: npm.registry,
        distTag: (v) => distTagFor(v, o.distTag ?? npm.distTag),
        tokenVariable: npm.tokenVariable,
        provenance: ctx.environ.GITHUB_ACTIONS === 'true' && Boolean(ctx.environ.ACTIONS_ID_TOKEN_REQUEST_URL),
      },
      ctx.runner,
      ctx.log,
      ctx.environ,
    );
    return publishPackage(packageOf(ctx, 'npm'), publisher, ctx);
  },
};

const crateOptions = z.strictObject({
  environment: z.string().optional(),
  allowDirty: z.boolean().default(false).describe('Publish even with uncommitted changes in the crate'),
});

export const publishCrateStep: StepDefinition<typeof crateOptions> = {
  name: 'publish-crate',
  description: "Publish the crate with cargo to the environment's crate registry unless that version is in its index",
  options: crateOptions,
  plan(o, ctx) {
    const pkg = packageOf(ctx, 'crate');
    const registry = ctx.env.crates?.registry;
    if (!registry) return [{ title: `skipped: ${ctx.envName} has no crate registry` }];
    return [
      { title: `check the index of '${registry}' for ${pkg.name}@${pkg.version}` },
      {
        title: 'publish (cargo verifies, uploads and waits for the index)',
        command: { argv: ['cargo', 'publish', '--manifest-path', pkg.manifest!, ...(registry === 'crates-io' ? [] : ['--registry', registry]), ...(o.allowDirty ? ['--allow-dirty'] : [])] },
      },
    ];
  },
  async run(o, ctx) {
    const crates = ctx.env.crates;
    if (!crates) return { skipped: `${ctx.envName} has no crate registry (environments.${ctx.envName}.crates in deploy.json)` };
    const publisher = new CratePublisher({ ...crates, allowDirty: o.allowDirty }, ctx.runner, ctx.log, ctx.environ);
    return publishPackage(packageOf(ctx, 'crate'), publisher, ctx);
  },
};
