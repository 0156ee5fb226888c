import { resolve } from 'node:path';
import { siteOf } from '../config/cdn.ts';
import type { DeployFile } from '../config/environments.ts';
import { parseDuration } from '../core/duration.ts';
import { UserError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { Redactor } from '../core/redact.ts';
import { openProvider } from '../cdn/open-provider.ts';
import { pruneSite } from '../cdn/publish.ts';
import { SiteReleases } from '../cdn/releases.ts';
import { retention, type ReleaseEntry } from '../cdn/retention.ts';
import { resolveActor } from '../deploy/identity.ts';
import { acquireLock } from '../deploy/lock-wait.ts';
import type { Runner } from '../core/run.ts';
import type { StateStore } from '../store/state-store.ts';

export interface CdnCli {
  workspaceRoot: string;
  file: DeployFile;
  envName: string;
  store: StateStore;
  redactor: Redactor;
  log: Logger;
  runner: Runner;
}

/** The frontends that have a site in the environment: the ones named, else those deploy.json lists. */
function projectsOf(c: CdnCli, only: string | undefined): string[] {
  const projects = only ? [only] : Object.keys(c.file.environments[c.envName]!.cdn);
  if (!projects.length) throw new UserError(`${c.envName} declares no CDN site (environments.${c.envName}.cdn); name the frontend with --project`);
  return projects;
}

async function indexOf(c: CdnCli, project: string) {
  const releases = new SiteReleases(c.store.blobs, c.envName, project);
  const index = await releases.index();
  if (!index.releases.length) {
    throw new UserError(
      `${project} has no CDN releases in ${c.envName} (in ${c.store.where}); nx-deploy rollback and cdn switch a frontend's releases published by deploy-cdn`,
    );
  }
  return { releases, index };
}

function describeRelease(r: ReleaseEntry, current: string | undefined, kept: Set<string>): string {
  const state = r.id === current ? 'serving' : r.pruned ? 'pruned' : kept.has(r.id) ? 'kept' : 'expired (next prune)';
  return `  ${r.id}  ${r.version.padEnd(16)} ${r.gitSha.slice(0, 8)}  ${r.servedAt}  ${String(r.files).padStart(5)} files  ${state}`;
}

/** `nx-deploy cdn releases`: each site's releases, newest first, and what a prune would keep. */
export async function listReleases(c: CdnCli, only: string | undefined): Promise<number> {
  for (const project of projectsOf(c, only)) {
    const site = siteOf(c.file.environments[c.envName]!, c.envName, project);
    const { index } = await indexOf(c, project);
    const { kept } = retention(index, Date.now(), site.keepReleases, parseDuration(site.grace, 'grace'));
    console.log(`${project} in ${c.envName} (${site.url}):`);
    for (const r of [...index.releases].sort((a, b) => Date.parse(b.servedAt) - Date.parse(a.servedAt)))
      console.log(describeRelease(r, index.current, new Set(kept)));
  }
  return 0;
}

/** `nx-deploy cdn prune`: under the environment's lock, deletes what only expired releases hold. */
export async function pruneReleases(c: CdnCli, only: string | undefined, lockWaitMs: number): Promise<number> {
  const actor = await resolveActor(c.runner, process.env);
  const lease = await acquireLock(c.store.locks, c.envName, { actor, what: 'cdn prune' }, { waitMs: lockWaitMs, log: c.log });
  try {
    for (const project of projectsOf(c, only)) {
      const site = siteOf(c.file.environments[c.envName]!, c.envName, project);
      const { releases } = await indexOf(c, project);
      const provider = await openProvider(site, {
        ...c,
        stateDir: resolve(c.workspaceRoot, c.file.stateDir),
        project,
        environ: process.env,
        log: (l) => c.log.info(l),
      });
      try {
        await provider.check();
        const { expired, deleted } = await pruneSite({
          provider,
          releases,
          keep: site.keepReleases,
          graceMs: parseDuration(site.grace, 'grace'),
          now: Date.now(),
        });
        console.log(
          expired.length
            ? `${project} in ${c.envName}: pruned releases ${expired.join(', ')}: ${deleted} objects deleted from ${provider.where}`
            : `${project} in ${c.envName}: every release is within keepReleases (${site.keepReleases}) or the grace period (${site.grace}); nothing to prune`,
        );
      } finally {
        provider.close();
      }
    }
  } finally {
    await lease.release();
  }
  return 0;
}
