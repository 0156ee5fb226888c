import { z } from 'zod';
import { triggerLabel } from '../analysis/assess.ts';
import { canaryJudging, verifySchema } from '../config/verify.ts';
import { parseDuration } from '../core/duration.ts';
import { UserError } from '../core/errors.ts';
import type { CanaryStepRecord } from '../core/rollback.ts';
import { onHost } from '../runtimes/rolling.ts';
import { proxyMode } from '../runtimes/traffic.ts';
import { serviceRuntime, trafficPlaces } from './rollout.ts';
import type { WatchRecord } from '../core/watch-record.ts';
import { TriggerFired, type StepContext, type StepDefinition } from '../step-kit/step.ts';
import { DEFAULT_METRICS, newVersionDirect, targetsOf } from './verify.ts';
import { watch } from '../step-kit/watch.ts';

const options = z.strictObject({ environment: z.string().optional() });

type Place = Awaited<ReturnType<typeof trafficPlaces>>[number];

/**
 * The proxy of each place adopted or started. The first time a service gets a proxy, the version
 * before it listens on the service's own address: it is stopped so the proxy can take that address
 * (once, a moment without an answer), and says so.
 */
async function ensureProxies(places: Place[], ctx: StepContext): Promise<void> {
  const runtime = serviceRuntime(ctx);
  for (const place of places) {
    try {
      await place.proxy!.ensure(ctx.log);
    } catch (err) {
      if (!(err instanceof UserError) || !/address|bind/i.test(err.message) || !runtime.stopPrevious) throw err;
      ctx.log.warn(
        `${ctx.project.name}${place.host.remote ? ` on ${place.host.label}` : ''}: the version before listens on the service's address itself (deployed without the proxy); ` +
          'stopping it so the proxy can take that address: this once, requests are refused for a moment',
      );
      await runtime.stopPrevious(onHost(ctx, place));
      await place.proxy!.ensure(ctx.log);
    }
  }
}

/** Every place's proxy sends `weight` percent of requests to the new version. */
async function shiftAll(places: Place[], weight: number, ctx: StepContext): Promise<void> {
  const runtime = serviceRuntime(ctx);
  for (const place of places) await runtime.shift!(onHost(ctx, place), weight);
}

/**
 * The cut-over, behind the proxy: after the new version passed its smoke test on its private port,
 * its proxy sends it the requests — all at once, or in canary steps, each watched for its pause
 * with the verification triggers on the new version's own metrics (so the previous version's
 * answers do not dilute them); a breach throws, and the deploy's undo switches everything back and
 * removes the new version. The previous version keeps running meanwhile (warm).
 */
export const cutoverStep: StepDefinition<typeof options> = {
  options,

  plan(_o, ctx) {
    if (proxyMode(ctx) === 'off') return [{ title: `no proxy in ${ctx.envName}: the roll-out replaced the running version itself` }];
    const where = proxyMode(ctx) === 'auto' ? ' (where HAProxy is installed; elsewhere the roll-out replaced it)' : '';
    const canary = ctx.env.services[ctx.project.name]?.strategy?.canary;
    const ensure = {
      title: `the service's proxy (HAProxy on its address, on each host it runs on) adopted where it runs, else started with the routes the state store remembers`,
    };
    if (!canary)
      return [ensure, { title: `switch the proxy to the new version: every request from now on${where}; the previous version stays running (warm)` }];
    return [
      ensure,
      ...canary.steps.map((s, i) => ({
        title: `canary step ${i + 1}: ${s.weight}% of requests to the new version${where}, its own metrics watched for ${s.pause}; a breach sends everything back`,
      })),
      { title: 'then every request to the new version; the previous version stays running (warm)' },
    ];
  },

  async run(_o, ctx) {
    const direct = newVersionDirect(ctx);
    if (!direct || ctx.results.findLast((r) => r.direct)?.serves)
      return { skipped: 'the new version is not behind a proxy here: the roll-out switched when it started it' };
    const places = (await trafficPlaces(ctx)).filter((p) => p.proxy);
    await ensureProxies(places, ctx);
    const canary = ctx.env.services[ctx.project.name]?.strategy?.canary;
    const steps: CanaryStepRecord[] = [];
    const watches: WatchRecord[] = [];
    if (canary) {
      const settings = ctx.env.verify ?? verifySchema.parse({});
      const { triggers, interval } = canaryJudging(ctx.env.verify);
      const intervalMs = parseDuration(interval, 'verify.interval');
      const targets = targetsOf(DEFAULT_METRICS, ctx, settings, direct);
      for (const [i, step] of canary.steps.entries()) {
        await shiftAll(places, step.weight, ctx);
        ctx.log.info(`canary step ${i + 1} of ${canary.steps.length}: ${step.weight}% of requests to the new version, watched for ${step.pause}`);
        const startedAt = new Date().toISOString();
        try {
          const { record } = await watch(ctx, {
            targets,
            triggers,
            windowMs: parseDuration(step.pause, 'canary pause'),
            intervalMs,
            what: `canary step ${i + 1} (${step.weight}%)`,
          });
          watches.push(record);
        } catch (err) {
          if (!(err instanceof TriggerFired)) throw err;
          steps.push({ weight: step.weight, pause: step.pause, startedAt, verdict: 'breached', detail: err.condition });
          ctx.log.warn(`canary step ${i + 1} breached (${err.condition}): every request goes back to the previous version`);
          throw new TriggerFired(err.message, err.condition, { canary: steps, watches: [...watches, ...(err.result.watches ?? [])] });
        }
        steps.push({ weight: step.weight, pause: step.pause, startedAt, verdict: 'passed' });
        ctx.log.info(`canary step ${i + 1} passed: ${triggers.map(triggerLabel).join('; ')}`);
      }
    }
    await shiftAll(places, 100, ctx);
    ctx.log.info(
      `every request goes to the new version now${places.length > 1 ? ` on ${places.length} servers` : ''}; the previous one keeps running (warm)`,
    );
    return {
      detail: canary ? `canary ${canary.steps.map((s) => `${s.weight}%`).join(' → ')} → 100%` : 'switched: every request to the new version',
      serves: true,
      ...(steps.length ? { canary: steps, watches } : {}),
    };
  },
};
