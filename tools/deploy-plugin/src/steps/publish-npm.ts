import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { npmPack } from '../commands/npm.ts';
import { releasePackageAt } from '../publishers/discover.ts';
import { distTagFor } from '../publishers/dist-tag.ts';
import { npmPublisherFor } from '../publishers/factory.ts';
import { publishIfMissing } from '../publishers/publish.ts';
import type { PlanContext } from '../config/context.ts';
import type { StepDefinition } from '../step-kit/step.ts';

/**
 * The folder that holds the package to publish: the build output when the build writes a
 * package.json there (Nx's @nx/js:tsc writes dist/libs/sdk/package.json), else the project.
 */
function packageDir(ctx: PlanContext): string {
  const output = ctx.project.output && join(ctx.workspaceRoot, ctx.project.output);
  return output && existsSync(join(output, 'package.json')) ? output : join(ctx.workspaceRoot, ctx.project.root);
}

const options = z.strictObject({
  environment: z.string().optional(),
  distTag: z.string().min(1).optional().describe("Overrides the environment's npm.distTag (prereleases still get their own tag)"),
});

export const publishNpmStep: StepDefinition<typeof options> = {
  options,

  plan(o, ctx) {
    const pkg = releasePackageAt(packageDir(ctx), 'npm', ctx.project.name);
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
    const pkg = releasePackageAt(packageDir(ctx), 'npm', ctx.project.name);
    const publisher = npmPublisherFor(npm, { distTag: o.distTag }, ctx);
    try {
      return { artifact: `npm:${pkg.name}@${pkg.version}`, detail: await publishIfMissing(pkg, publisher, ctx.log) };
    } finally {
      publisher.dispose();
    }
  },
};
