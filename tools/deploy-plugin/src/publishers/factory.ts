import type { Environment } from '../config/environments.ts';
import type { Logger } from '../core/log.ts';
import type { Runner } from '../core/run.ts';
import { CratePublisher } from './crate.ts';
import { distTagFor } from './dist-tag.ts';
import { NpmPublisher } from './npm.ts';

export interface PublishTools {
  runner: Runner;
  log: Logger;
  environ: NodeJS.ProcessEnv;
}

/**
 * npm publishing to an environment's registry: its dist-tag (a prerelease gets its own, see
 * distTagFor), its token variable, and provenance when running in GitHub Actions with OIDC.
 */
export function npmPublisherFor(
  npm: NonNullable<Environment['npm']>,
  tag: { distTag?: string; preModeTag?: string },
  tools: PublishTools,
): NpmPublisher {
  return new NpmPublisher(
    {
      registry: npm.registry,
      distTag: (version) => distTagFor(version, tag.distTag ?? npm.distTag, tag.preModeTag),
      tokenVariable: npm.tokenVariable,
      provenance: tools.environ.GITHUB_ACTIONS === 'true' && Boolean(tools.environ.ACTIONS_ID_TOKEN_REQUEST_URL),
    },
    tools.runner,
    tools.log,
    tools.environ,
  );
}

/** Crate publishing to an environment's registry (name, index, token variable). */
export function cratePublisherFor(crates: NonNullable<Environment['crates']>, opts: { allowDirty?: boolean }, tools: PublishTools): CratePublisher {
  return new CratePublisher({ ...crates, allowDirty: opts.allowDirty }, tools.runner, tools.log, tools.environ);
}
