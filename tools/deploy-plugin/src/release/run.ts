import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { gitCreateTags, gitListTags, gitPushTags } from '../commands/git.ts';
import { UserError } from '../core/errors.ts';
import { newDeployId } from '../core/ids.ts';
import { deployLayers } from '../core/layers.ts';
import { createLogger, type Logger } from '../core/log.ts';
import { createLimiter, mapLimit } from '../core/pool.ts';
import { Runner } from '../core/run.ts';
import { resolveActor, resolveGitSha } from '../deploy/identity.ts';
import { openEnvironment } from '../deploy/session.ts';
import { discoverReleasePackages } from '../publishers/discover.ts';
import { cratePublisherFor, npmPublisherFor } from '../publishers/factory.ts';
import { publishIfMissing } from '../publishers/publish.ts';
import type { Publisher, ReleasePackage } from '../publishers/publisher.ts';
import { openStore } from '../store/open.ts';
import type { LedgerStore } from '../store/state-store.ts';
import { releaseNotes } from './changelog.ts';
import { ensureRelease, type GitHubTarget } from './github.ts';
import { renderReleaseSummary, type PackageOutcome } from './summary.ts';

export interface ReleaseRequest {
  workspaceRoot: string;
  dryRun?: boolean;
  environ?: NodeJS.ProcessEnv;
  log?: Logger;
}

/** The tag of changesets' pre mode (`.changeset/pre.json`), when it is on. */
function preModeTag(root: string): string | undefined {
  const path = join(root, '.changeset', 'pre.json');
  if (!existsSync(path)) return undefined;
  let pre: { mode?: string; tag?: string };
  try {
    pre = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UserError(`${path} is not valid JSON (${(err as Error).message}); fix it or leave pre mode with \`npx changeset pre exit\``);
  }
  return pre.mode === 'pre' ? pre.tag : undefined;
}

/**
 * The whole release: publish every package whose version is not out yet, in dependency order
 * (a dependent waits until its dependency is visible; the dependents of a failure are skipped,
 * the rest go out), then tag `<name>@<version>` and create one GitHub release per tag. Every
 * publish is a ledger record. Re-running publishes exactly what is missing.
 */
export async function runRelease(req: ReleaseRequest): Promise<{ success: boolean; outcomes: PackageOutcome[] }> {
  const root = req.workspaceRoot;
  const environ = { ...(req.environ ?? process.env) };
  const {
    file,
    name: envName,
    env,
    redactor,
  } = openEnvironment({
    workspaceRoot: root,
    envName: (f) => f.release.environment,
    target: 'release (deploy.json release.environment)',
    environ,
  });
  const cfg = file.release;
  const log = req.log ?? createLogger(redactor, 'release');
  const runner = new Runner(root, redactor, log);
  const packages = discoverReleasePackages(root);

  const needs = (kind: ReleasePackage['kind']) => packages.filter((p) => p.kind === kind);
  if (needs('npm').length && !env.npm)
    throw new UserError(`release: npm packages need environments.${envName}.npm (registry, distTag) in deploy.json`);
  if (needs('crate').length && !env.crates)
    throw new UserError(`release: crates need environments.${envName}.crates (registry, index) in deploy.json`);
  let github: GitHubTarget | undefined;
  if (cfg.github) {
    const token = environ[cfg.github.tokenVariable];
    if (!token && !req.dryRun)
      throw new UserError(
        `release: GitHub releases need a token in ${cfg.github.tokenVariable} (deploy.json release.github.tokenVariable), which is not set; nothing was published`,
      );
    github = { repository: cfg.github.repository, apiUrl: cfg.github.apiUrl, token: token ?? '' };
  }
  const tools = { runner, log, environ };
  const publishers: Record<ReleasePackage['kind'], Publisher | undefined> = {
    npm: env.npm ? npmPublisherFor(env.npm, { preModeTag: preModeTag(root) }, tools) : undefined,
    crate: env.crates ? cratePublisherFor(env.crates, {}, tools) : undefined,
  };
  const publisher = (p: ReleasePackage) => publishers[p.kind]!;

  const out = await mapLimit(packages, 8, (p) => publisher(p).isPublished(p));
  const missing = packages.filter((_, i) => !out[i]);
  if (req.dryRun || missing.length === 0) {
    log.info(
      missing.length === 0
        ? `nothing to publish: all ${packages.length} packages are already on their registries`
        : `would publish: ${missing.map((p) => `${p.name}@${p.version}`).join(', ')}`,
    );
    if (req.dryRun) return { success: true, outcomes: [] };
  }

  const actor = await resolveActor(runner, environ);
  const gitSha = await resolveGitSha(runner);
  // The release lock is its own ('release'), apart from the environment's deploy lock; publishes are
  // recorded in the environment's ledger.
  const store = await openStore(file, envName, { workspaceRoot: root, environ, redactor });
  const lease = await store.locks.acquire('release', { actor, what: `release to ${envName}` });
  const ledger = store.ledger;
  const outcomes = new Map<string, Promise<PackageOutcome>>();
  try {
    // Pack everything that goes out first (npm packs many folders in one process), then start
    // each package as soon as its own dependencies are visible, not a whole layer later.
    await Promise.all(Object.values(publishers).map((p) => p?.prepare?.(missing.filter((m) => publisher(m) === p))));
    const limit = createLimiter(cfg.concurrency);
    const byName = new Map(packages.map((p) => [p.name, p]));
    for (const name of deployLayers(Object.fromEntries(packages.map((p) => [p.name, p.dependencies]))).flat()) {
      const pkg = byName.get(name)!;
      outcomes.set(
        name,
        Promise.all(pkg.dependencies.map((d) => outcomes.get(d)!)).then((deps) =>
          publishOne(pkg, !missing.includes(pkg), deps, () => limit(() => publishIfMissing(pkg, publisher(pkg), log)), {
            ledger,
            envName,
            actor,
            gitSha,
            log,
          }),
        ),
      );
    }
    await tagAndRelease(await Promise.all(outcomes.values()), { runner, log, github, pushTags: cfg.pushTags });
  } finally {
    await lease.release();
    for (const p of Object.values(publishers)) p?.dispose?.();
  }
  const list = await Promise.all(packages.map((p) => outcomes.get(p.name)!));
  log.info(renderReleaseSummary(list));
  return { success: list.every((o) => o.result === 'published' || o.result === 'already published'), outcomes: list };
}

async function publishOne(
  pkg: ReleasePackage,
  alreadyOut: boolean,
  deps: PackageOutcome[],
  publish: () => Promise<unknown>,
  ctx: { ledger: LedgerStore; envName: string; actor: string; gitSha: string; log: Logger },
): Promise<PackageOutcome> {
  if (alreadyOut) return { pkg, result: 'already published', durationMs: 0 };
  const blocked = deps.find((d) => d.result === 'failed' || d.result === 'skipped');
  if (blocked) return { pkg, result: 'skipped', reason: `needs ${blocked.pkg.name}, which was not published`, durationMs: 0 };
  const started = Date.now();
  const record = {
    id: newDeployId(pkg.project),
    project: pkg.project,
    env: ctx.envName,
    kind: 'publish',
    version: pkg.version,
    gitSha: ctx.gitSha,
    actor: ctx.actor,
    artifact: `${pkg.kind}:${pkg.name}@${pkg.version}`,
    startedAt: new Date().toISOString(),
  };
  await ctx.ledger.append({ ...record, status: 'started' });
  try {
    await publish();
    await ctx.ledger.append({ ...record, status: 'succeeded', finishedAt: new Date().toISOString() });
    return { pkg, result: 'published', durationMs: Date.now() - started };
  } catch (err) {
    const reason = (err as Error).message;
    await ctx.ledger.append({ ...record, status: 'failed', reason, finishedAt: new Date().toISOString() });
    ctx.log.warn(`${pkg.name}@${pkg.version} was not published: ${reason}`);
    return { pkg, result: 'failed', reason, durationMs: Date.now() - started };
  }
}

/** Tags what is out, and gives each of those tags a GitHub release; existing ones are left alone. */
async function tagAndRelease(
  outcomes: PackageOutcome[],
  ctx: { runner: Runner; log: Logger; github?: GitHubTarget; pushTags?: string },
): Promise<void> {
  const existing = new Set((await ctx.runner.run(gitListTags(), { quiet: true })).stdout.split('\n'));
  const created: string[] = [];
  for (const o of outcomes.filter((x) => x.result === 'published' || x.result === 'already published')) {
    o.tag = `${o.pkg.name}@${o.pkg.version}`;
    if (!existing.has(o.tag)) created.push(o.tag);
  }
  if (created.length) await ctx.runner.run(gitCreateTags(created), { quiet: true });
  if (created.length) ctx.log.info(`tagged ${created.join(', ')}`);
  if (ctx.pushTags && created.length) await ctx.runner.run(gitPushTags(ctx.pushTags, created));
  if (!ctx.github) return;
  const github = ctx.github;
  await mapLimit(
    outcomes.filter((o) => o.tag),
    4,
    async (o) => {
      const r = await ensureRelease(github, o.tag!, releaseNotes(o.pkg.changelog, o.pkg.version), semver.prerelease(o.pkg.version) !== null);
      o.release = r.url;
      if (r.created) ctx.log.info(`GitHub release ${o.tag}: ${r.url}`);
    },
  );
}
