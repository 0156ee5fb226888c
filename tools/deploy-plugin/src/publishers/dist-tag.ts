import semver from 'semver';

/**
 * Pure: the npm dist-tag of a version. A prerelease never goes to the environment's tag (that
 * would move `latest`): in pre mode it gets the pre tag (`changeset pre enter next` -> `next`),
 * a snapshot its name (`0.0.0-staging-2026...` -> `staging`).
 */
export function distTagFor(version: string, environmentTag: string, preModeTag?: string): string {
  const pre = semver.prerelease(version);
  if (!pre) return environmentTag;
  if (preModeTag) return preModeTag;
  const first = String(pre[0]);
  return /^[a-z][a-z0-9-]*$/i.test(first) ? first.split('-')[0]! : 'prerelease';
}
