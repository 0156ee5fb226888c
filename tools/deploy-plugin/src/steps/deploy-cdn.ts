import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { z } from 'zod';
import { siteOf, type Site } from '../config/cdn.ts';
import type { PlanContext } from '../config/context.ts';
import { parseDuration } from '../core/duration.ts';
import { UserError } from '../core/errors.ts';
import { interpolate, referencedVariables } from '../core/interpolate.ts';
import { secretVariables } from '../config/environments.ts';
import { nothingToRestore, restored, restoreFailed } from '../core/rollback.ts';
import { buildFiles } from '../cdn/build-files.ts';
import { formatSize, overBudget, parseSize, type Budget } from '../cdn/budget.ts';
import { ensureServed } from '../cdn/local-server.ts';
import { openProvider, siteDir, siteField } from '../cdn/open-provider.ts';
import { publishRelease, pruneSite, serveAgain } from '../cdn/publish.ts';
import { SiteReleases } from '../cdn/releases.ts';
import type { StepContext, StepDefinition } from '../step-kit/step.ts';

const size = z.union([z.number().nonnegative(), z.string()]);

const options = z.strictObject({
  environment: z.string().optional(),
  outputPath: z
    .string()
    .optional()
    .describe(
      "The static build to publish, relative to the workspace (default: the folder the project's build target declares as its output, e.g. Vite's outDir)",
    ),
  config: z
    .record(z.string(), z.unknown())
    .optional()
    .describe(
      'Written as the runtime config file of each environment (string values may use ${VAR} and the deploy variables, e.g. ${NX_DEPLOY_SERVICE_URL_API_SERVER})',
    ),
  configFile: z.string().default('config.json').describe('Where `config` is written in the site'),
  immutable: z
    .array(z.string())
    .min(1)
    .default(['assets/**'])
    .describe('Globs of fingerprinted files (cached for a year, uploaded first); every other file is an entry point (revalidated, switched last)'),
  budget: z
    .strictObject({
      maxTotalSize: size.optional().describe('e.g. "5MB"'),
      maxFileSize: size.optional().describe('e.g. "500kB"'),
      maxFiles: z.int().positive().optional(),
    })
    .optional()
    .describe('Checked before anything is uploaded'),
  prune: z.boolean().default(true).describe("After a switch, delete what only releases outside the site's keepReleases and grace hold"),
});
type Options = z.infer<typeof options>;

/** A path for people: relative to the workspace when inside it. */
function shown(workspaceRoot: string, path: string): string {
  const rel = relative(workspaceRoot, path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** The build output folder, absolute, or an error saying what to set. */
function outputOf(o: Options, ctx: PlanContext): string {
  const rel = o.outputPath ?? ctx.project.output;
  if (!rel) {
    throw new UserError(
      `${ctx.project.name}: no build output to publish: its build target declares no outputs. Declare them (Vite's outDir, e.g. "outputs": ["{projectRoot}/dist"]) or set the deploy-cdn option outputPath.`,
    );
  }
  return isAbsolute(rel) ? rel : join(ctx.workspaceRoot, rel);
}

function budgetOf(o: Options): Budget {
  return {
    maxTotalBytes: o.budget?.maxTotalSize === undefined ? undefined : parseSize(o.budget.maxTotalSize, 'budget.maxTotalSize'),
    maxFileBytes: o.budget?.maxFileSize === undefined ? undefined : parseSize(o.budget.maxFileSize, 'budget.maxFileSize'),
    maxFiles: o.budget?.maxFiles,
  };
}

/** The config file's text for this environment: string values filled from variables. */
function configText(o: Options, ctx: PlanContext, lenient = false): Record<string, string> {
  if (!o.config) return {};
  const secrets = new Set(secretVariables(ctx.env));
  const publicValue = (v: string, at: string) => {
    // The config file is public (served from the CDN): a secret must never be filled into it.
    const secret = referencedVariables(v).find((name) => secrets.has(name));
    if (secret)
      throw new UserError(
        `${ctx.project.name}:deploy-cdn config ${at} uses \${${secret}}, which environments.${ctx.envName} declares a secret: config.json is public on the CDN. Put only public values in it (an API's URL, a public key).`,
      );
    return interpolate(v, ctx.environ, `${ctx.project.name}:deploy-cdn config ${at}`, lenient);
  };
  const fill = (v: unknown, at: string): unknown =>
    typeof v === 'string'
      ? publicValue(v, at)
      : Array.isArray(v)
        ? v.map((x, i) => fill(x, `${at}[${i}]`))
        : v && typeof v === 'object'
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x, `${at}.${k}`)]))
          : v;
  try {
    return { [o.configFile]: `${JSON.stringify(fill(o.config, 'config'), null, 2)}\n` };
  } catch (err) {
    const deployVariable = /\$\{(NX_DEPLOY_\w+)\}/.exec((err as Error).message)?.[1];
    if (!deployVariable) throw err;
    throw new UserError(
      `${(err as Error).message.replace(/\. Set it and deploy again\.$/, '')}: ${ctx.envName} declares no such service or site (environments.${ctx.envName}.services and .cdn in deploy.json).`,
    );
  }
}

/** The build's files, checked against the budget: nothing has been uploaded when this throws. */
function scan(o: Options, ctx: StepContext) {
  const out = outputOf(o, ctx);
  if (!existsSync(out) || !statSync(out).isDirectory() || !existsSync(join(out, 'index.html'))) {
    throw new UserError(
      `${ctx.project.name}: the build output ${shown(ctx.workspaceRoot, out)} ${existsSync(out) ? 'has no index.html' : 'does not exist'}; run its build (nx build ${ctx.project.name}) and deploy again. Nothing was uploaded; the current release keeps serving.`,
    );
  }
  const { files, skipped } = buildFiles(out, { immutable: o.immutable, generated: configText(o, ctx) });
  for (const s of skipped) ctx.log.warn(`not published: ${s.path}, ${s.why}`);
  const over = overBudget(files, budgetOf(o));
  if (over.length) {
    throw new UserError(
      `${ctx.project.name}: the build is over its budget (deploy-cdn option budget), so nothing was uploaded; the current release keeps serving:\n  ${over.join('\n  ')}`,
    );
  }
  return files;
}

function siteFor(ctx: PlanContext): Site {
  return siteOf(ctx.env, ctx.envName, ctx.project.name);
}

/** The project's site in this environment: its settings, its provider, its releases in the state store. */
export async function openSite(ctx: StepContext) {
  const site = siteFor(ctx);
  const provider = await openProvider(site, { ...ctx, project: ctx.project.name, log: (l) => ctx.log.info(l) });
  return { site, provider, releases: new SiteReleases(ctx.blobs, ctx.envName, ctx.project.name) };
}

export const deployCdnStep: StepDefinition<typeof options> = {
  options,

  plan(o, ctx) {
    configText(o, ctx, true); // a secret in the public config file is refused before anything runs
    const site = siteFor(ctx);
    const where =
      site.provider === 's3' ? `s3://${site.bucket}/${site.prefix}` : shown(ctx.workspaceRoot, siteDir(site, { ...ctx, project: ctx.project.name }));
    return [
      {
        title: `publish ${shown(ctx.workspaceRoot, outputOf(o, ctx))} as a release to ${where}: new assets first, then the entry points${o.config ? ` and ${o.configFile}` : ''}`,
      },
      { title: `serve it at ${site.url}; keep the last ${site.keepReleases} releases and those retired within ${site.grace}` },
    ];
  },

  async preflight(o, ctx) {
    scan(o, ctx);
    const { provider } = await openSite(ctx);
    try {
      await provider.check();
    } finally {
      provider.close();
    }
  },

  async run(o, ctx) {
    const files = scan(o, ctx);
    const { site, provider, releases } = await openSite(ctx);
    try {
      const started = Date.now();
      const p = await publishRelease({
        provider,
        releases,
        files,
        meta: { version: ctx.project.version, gitSha: ctx.gitSha, deployId: ctx.deployId },
        immutableGlobs: o.immutable,
        log: (l) => ctx.log.info(l),
      });
      ctx.log.info(
        `release ${p.id}: ${files.length} files, ${p.stage.uploaded} uploaded (${formatSize(p.stage.uploadedBytes)}), ${p.stage.reused} already stored; ${p.switched} entry points switched in ${Date.now() - started} ms`,
      );
      if (site.provider === 'fs')
        await ensureServed(provider.where, site.url, { runner: ctx.runner, log: ctx.log, where: siteField(ctx.envName, ctx.project.name) });
      if (o.prune) {
        const pruned = await pruneSite({ provider, releases, keep: site.keepReleases, graceMs: parseDuration(site.grace, 'grace'), now: Date.now() });
        if (pruned.expired.length) ctx.log.info(`pruned releases ${pruned.expired.join(', ')}: ${pruned.deleted} objects deleted`);
      }
      return {
        artifact: p.id,
        previous: p.previous,
        url: site.url,
        detail: `release ${p.id}${p.previous ? ` (was ${p.previous})` : ''}: ${p.stage.uploaded} uploaded, ${p.stage.reused} reused`,
        serves: true,
      };
    } finally {
      provider.close();
    }
  },

  /** A later step (the smoke test) failed: the release that served before serves again. */
  async rollback(_o, ctx, result) {
    if (!result.previous) return nothingToRestore(`no release of ${ctx.project.name} served in ${ctx.envName} before ${result.artifact}`);
    const { provider, releases } = await openSite(ctx);
    try {
      const target = (await releases.index()).releases.find((r) => r.id === result.previous);
      if (!target) return restoreFailed(`release ${result.previous} is not in the release index of ${ctx.project.name}`);
      const started = Date.now();
      await serveAgain({ provider, releases, target });
      return restored(`release ${target.id} (${target.version})`, `entry points switched back in ${Date.now() - started} ms`);
    } catch (err) {
      return restoreFailed(
        `switching ${ctx.project.name} back to ${result.previous} failed: ${(err as Error).message}; run nx-deploy rollback ${ctx.project.name} --env ${ctx.envName}`,
      );
    } finally {
      provider.close();
    }
  },
};
