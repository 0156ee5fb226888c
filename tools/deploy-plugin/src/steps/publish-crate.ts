import { join } from 'node:path';
import { z } from 'zod';
import { cargoPublish } from '../commands/cargo.ts';
import { releasePackageAt } from '../publishers/discover.ts';
import { cratePublisherFor } from '../publishers/factory.ts';
import { publishIfMissing } from '../publishers/publish.ts';
import type { StepDefinition } from '../step-kit/step.ts';

const options = z.strictObject({
  environment: z.string().optional(),
  allowDirty: z.boolean().default(false).describe('Publish even with uncommitted changes in the crate'),
});

export const publishCrateStep: StepDefinition<typeof options> = {
  options,

  plan(o, ctx) {
    const pkg = releasePackageAt(join(ctx.workspaceRoot, ctx.project.root), 'crate', ctx.project.name);
    const registry = ctx.env.crates?.registry;
    if (!registry) return [{ title: `skipped: ${ctx.envName} has no crate registry` }];
    return [
      { title: `check the index of '${registry}' for ${pkg.name}@${pkg.version}` },
      {
        title: 'publish (cargo verifies, uploads and waits for the index)',
        command: cargoPublish(pkg.manifest!, registry, { allowDirty: o.allowDirty }),
      },
    ];
  },

  async run(o, ctx) {
    const crates = ctx.env.crates;
    if (!crates) return { skipped: `${ctx.envName} has no crate registry (environments.${ctx.envName}.crates in deploy.json)` };
    const pkg = releasePackageAt(join(ctx.workspaceRoot, ctx.project.root), 'crate', ctx.project.name);
    const publisher = cratePublisherFor(crates, { allowDirty: o.allowDirty }, ctx);
    return { artifact: `crate:${pkg.name}@${pkg.version}`, detail: await publishIfMissing(pkg, publisher, ctx.log) };
  },
};
