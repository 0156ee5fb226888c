import { z } from 'zod';
import { interpolate, interpolateRecord } from '../core/interpolate.ts';
import { probe, requestFailure } from '../core/http.ts';
import { poll, pollFailure } from '../core/poll.ts';
import { UserError } from '../core/errors.ts';
import { healthCheck, healthPathHint, serviceEndpoints, serviceUrl } from '../config/services.ts';
import { siteOf } from '../config/cdn.ts';
import { proxyMode } from '../runtimes/traffic.ts';
import { browserSchema, checkInBrowser, findChromium } from '../step-kit/browser-check.ts';
import { judge, smokeCheckSchema, type SmokeCheck } from '../step-kit/smoke-checks.ts';
import type { PlanContext } from '../config/context.ts';
import type { StepContext, StepDefinition } from '../step-kit/step.ts';

const options = z.strictObject({
  environment: z.string().optional(),
  baseUrl: z.url().optional().describe("Defaults to the project's service URL in deploy.json (its CDN site's URL with `site`)"),
  site: z.boolean().default(false).describe("Check the project's CDN site (inferred for frontends): check paths are relative to the site's URL"),
  browser: browserSchema.optional().describe('With `site`: load the page in headless Chromium (default: enabled auto)'),
  checks: z
    .array(smokeCheckSchema)
    .min(1, { error: 'declare at least one check' })
    .optional()
    .describe("Default: GET the service's healthPath (deploy.json) expecting 200; with none declared, GET / expecting 2xx or 3xx"),
  deadlineMs: z.int().positive().default(30_000).describe('Keep retrying failing checks until this long has passed'),
  intervalMs: z.int().positive().default(1_000),
  requestTimeoutMs: z.int().positive().default(5_000),
});

/** A check's URL: below a service's base URL, or relative to a site's page (`/` is the page itself). */
function checkUrl(base: string, path: string, site: boolean): string {
  if (!site) return `${base}${path}`;
  return path === '/' ? base : new URL(`.${path}`, base).href;
}

async function runCheck(check: SmokeCheck, base: string, site: boolean, ctx: StepContext, timeoutMs: number): Promise<string | undefined> {
  const headers = interpolateRecord(check.headers, ctx.environ, `smoke check '${check.name}' header`);
  let failure: string | undefined;
  for (let i = 0; i < check.attempts; i++) {
    const res = await probe(checkUrl(base, check.path, site), { method: check.method, headers, body: check.body, timeoutMs });
    failure = judge(check, res);
    if (!failure) return undefined;
  }
  return check.attempts > 1 ? `${failure} (after ${check.attempts} requests)` : failure;
}

type Options = z.infer<typeof options>;

/**
 * Where the checks go: the option, else the site's URL (a frontend), else, behind the proxy, the
 * version this deploy just started, directly (no request is switched to it before it passes),
 * else the service on each of its servers, else its URL.
 */
function basesOf(o: Options, ctx: PlanContext, direct?: { url: string }[]): string[] {
  if (o.baseUrl) return [o.baseUrl];
  if (o.site) return [siteOf(ctx.env, ctx.envName, ctx.project.name).url];
  if (direct) return direct.map((d) => d.url);
  return serviceEndpoints(ctx).map((e) => e.url);
}

/** The checks to run: the configured ones, else the page of a site, else the service's health check (healthPath, or GET /). */
function checksOf(o: Options, ctx: PlanContext): SmokeCheck[] {
  if (o.checks) return o.checks;
  if (o.site) return [{ name: 'page', path: '/', method: 'GET', headers: {}, expect: { status: '2xx|3xx' }, attempts: 1 }];
  const health = healthCheck(ctx);
  const status = health.configured ? 200 : '2xx|3xx';
  return [{ name: health.configured ? 'health' : 'root', path: health.path, method: 'GET', headers: {}, expect: { status }, attempts: 1 }];
}

export const smokeStep: StepDefinition<typeof options> = {
  options,

  plan(o, ctx) {
    const bases = basesOf(o, ctx).map((b) => interpolate(b, ctx.environ, 'baseUrl', true));
    const base = bases[0]!;
    const checks = bases.flatMap((b) =>
      checksOf(o, ctx).map((c) => ({
        title: `${c.name}: ${c.method} ${checkUrl(b, c.path, o.site)} expects ${c.expect.status}${c.attempts > 1 ? ` within ${c.attempts} requests` : ''}`,
      })),
    );
    const browser = o.site ? (o.browser ?? browserSchema.parse({})) : undefined;
    // Behind the proxy the checks go to the new version's private port, so no request of theirs reaches people.
    const direct =
      !o.site && proxyMode(ctx) !== 'off'
        ? [{ title: 'each check against the new version on its private port (where the proxy runs), before the proxy sends it any request' }]
        : [];
    return browser && browser.enabled !== 'never'
      ? [...checks, { title: `load ${base} in headless Chromium: ${browser.waitFor} renders, no request fails` }]
      : [...direct, ...checks];
  },

  async run(o, ctx) {
    const rolled = ctx.results.findLast((r) => r.direct);
    const direct = rolled?.direct;
    const bases = basesOf(o, ctx, direct).map((b) => b.replace(/\/$/, ''));
    if (direct)
      ctx.log.info(
        rolled.serves
          ? `checking the new version through the roll-out's port-forward to one of its pods (${direct[0]!.url})`
          : 'checking the new version directly, before the proxy sends it any request',
      );
    const checks = checksOf(o, ctx);
    for (const base of bases) {
      const log = bases.length > 1 ? ctx.log.child(base) : ctx.log;
      // Checks run in order and the set is retried until it passes: a fresh roll-out may need a moment.
      let attempt = 0;
      let last: string | undefined;
      const failure = pollFailure(
        await poll(
          async () => {
            if (last) log.info(`not yet (attempt ${attempt}): ${last}`);
            attempt++;
            for (const check of checks) {
              const why = await runCheck(check, base, o.site, ctx, o.requestTimeoutMs).catch(requestFailure);
              if (why) return (last = `${check.name}: ${why}`);
              log.info(`ok  ${check.name}`);
            }
            return { value: true };
          },
          { deadlineMs: o.deadlineMs, intervalMs: o.intervalMs, signal: ctx.signal },
        ),
      );
      if (failure) {
        const hint = o.checks || o.site ? '' : healthPathHint(ctx, healthCheck(ctx));
        throw new UserError(`${ctx.project.name}: smoke test failed on ${base}: ${failure}.${hint}`);
      }
    }
    const base = bases[0]!;
    const browser = o.site ? await browserSmoke(base, o.browser ?? browserSchema.parse({}), ctx) : '';
    const where = bases.length > 1 ? ` on each of ${bases.length} servers` : '';
    // Behind the proxy the checks went to the new version's private port; people use the service's URL.
    return direct
      ? { url: serviceUrl(ctx), detail: `${checks.length} checks passed on the new version directly${where}` }
      : { url: base, detail: `${checks.length} checks passed${where}${browser}` };
  },
};

/** The site in a browser, when one is enabled and found; the detail for the summary. */
async function browserSmoke(url: string, check: z.infer<typeof browserSchema>, ctx: StepContext): Promise<string> {
  if (check.enabled === 'never') return '';
  const chromium = findChromium(check.executablePath, ctx.environ);
  if (!chromium) {
    if (check.enabled === 'always')
      throw new UserError(
        `${ctx.project.name}: no Chromium found on PATH for the browser smoke test; install chromium or set browser.executablePath`,
      );
    ctx.log.warn('no Chromium on PATH: the site was checked over HTTP only (install chromium, or set browser.enabled to never to silence this)');
    return ', over HTTP only (no Chromium)';
  }
  const started = Date.now();
  const problem = await checkInBrowser(url, check, chromium, ctx);
  if (problem) throw new UserError(`${ctx.project.name}: the page at ${url} failed in Chromium: ${problem}`);
  ctx.log.info(`ok  page rendered in Chromium (${check.waitFor}) in ${Date.now() - started} ms, no failed request`);
  return ', rendered in Chromium';
}
