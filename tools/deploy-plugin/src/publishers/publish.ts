import type { Logger } from '../core/log.ts';
import type { Publisher, ReleasePackage } from './publisher.ts';

export type PublishResult = 'published' | 'already published';

/**
 * The one publish path, for a deploy step and a release alike: is this version out? If not,
 * pack, publish, and wait until dependents can install it.
 */
export async function publishIfMissing(pkg: ReleasePackage, publisher: Publisher, log: Logger): Promise<PublishResult> {
  if (await publisher.isPublished(pkg)) {
    log.info(`${pkg.name}@${pkg.version} is already published`);
    return 'already published';
  }
  await publisher.publish(pkg, await publisher.pack(pkg));
  await publisher.waitUntilVisible(pkg);
  log.info(`published ${pkg.name}@${pkg.version}`);
  return 'published';
}
