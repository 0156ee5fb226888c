import { z } from 'zod';
import type { PlanContext } from '../config/context.ts';
import { resolveDatabase } from '../config/database.ts';
import { runtimeOf } from '../config/environments.ts';
import { healthCheck, serviceUrl } from '../config/services.ts';
import { interpolateRecord } from '../core/interpolate.ts';
import { RUNTIMES } from '../runtimes/registry.ts';
import type { KeptVersion, ServiceSpec } from '../runtimes/runtime.ts';
import { previousAcross, restoreAcross, rollAcross, type ServerTurn } from '../runtimes/rolling.ts';
import { placementsOf } from '../config/servers.ts';
import { describeOnServer } from '../commands/ssh.ts';
import type { RollbackOutcome } from '../core/rollback.ts';
import type { Settings } from '../runtimes/settings.ts';
import { imageToRun } from './image-to-run.ts';
import { buildHint, defaultStartCommand, filesOption, serviceSource, sourceOption } from '../image/service-source.ts';
import type { StepContext, StepDefinition } from './step.ts';

export const rolloutOptions = z.strictObject({
  environment: z.string().optional(),
  command: z
    .array(z.string())
    .min(1)
    .optional()
    .describe(
      "runtime process: the argv that starts the service, run in its release folder (default: node and the built package.json's main, else dist/main.js)",
    ),
  source: sourceOption,
  files: filesOption,
  env: z.record(z.string(), z.string()).default({}).describe('Environment of the service; values may use ${VAR}'),
  database: z.boolean().default(false).describe("Pass the environment's database URL as DATABASE_URL"),
  startTimeoutMs: z.int().positive().default(30_000).describe('How long the new version has to answer its health check'),
  composeFile: z
    .string()
    .default('docker-compose.{environment}.yml')
    .describe('runtime compose: the compose file (docker-compose.prod.yml is found for production)'),
  manifests: z.string().default('k8s/overlays/{environment}').describe('runtime kubernetes: the kustomize overlay of the environment'),
  manifestImage: z
    .string()
    .optional()
    .describe('runtime kubernetes: the image name the manifests use (default: the project name as a slug, as build-image names it)'),
  rolloutTimeoutMs: z.int().positive().default(300_000).describe('runtime kubernetes: kubectl rollout status timeout'),
});
type Options = z.infer<typeof rolloutOptions>;

/** The service to run: where it answers, its settings (as templates and resolved), what it is. */
function specOf(o: Options, ctx: PlanContext & { gitSha?: string }, lenient: boolean): ServiceSpec {
  const url = serviceUrl(ctx);
  const u = new URL(url);
  const gitSha = ctx.gitSha ?? 'unknown';
  const source = serviceSource(ctx, o, `${ctx.project.name}:rollout`);
  const settings: Settings = {
    HOST: u.hostname,
    PORT: u.port || (u.protocol === 'https:' ? '443' : '80'),
    APP_VERSION: ctx.project.version,
    GIT_SHA: gitSha,
    ...(o.database ? { DATABASE_URL: resolveDatabase(ctx, lenient).template } : {}),
    ...o.env,
  };
  return {
    url,
    health: healthCheck(ctx),
    settings,
    env: interpolateRecord(settings, ctx.environ, `${ctx.project.name} roll-out env`, lenient),
    identity: { version: ctx.project.version, gitSha },
    startTimeoutMs: o.startTimeoutMs,
    command: o.command ?? defaultStartCommand(ctx.workspaceRoot, source),
    source,
    missingHint: buildHint(ctx, source),
    composeFile: o.composeFile,
    manifests: o.manifests,
    manifestImage: o.manifestImage,
    rolloutTimeoutMs: o.rolloutTimeoutMs,
  };
}

const runtimeFor = (ctx: PlanContext) => RUNTIMES[runtimeOf(ctx.env, ctx.project.name)];

/**
 * The service's spec on one of its servers: its URL there, and the address it listens on there
 * (every interface of the server unless the roll-out's env says otherwise; the port of its URL).
 */
function onServer(spec: ServiceSpec, url: string, o: Options): ServiceSpec {
  const u = new URL(url);
  const listen = { HOST: o.env.HOST ?? '0.0.0.0', PORT: o.env.PORT ?? (u.port || (u.protocol === 'https:' ? '443' : '80')) };
  return { ...spec, url, settings: { ...spec.settings, ...listen }, env: { ...spec.env, ...listen } };
}

/** The service's servers in this environment, connected, each with its spec; empty when it runs where the deploy runs. */
async function turnsOf(o: Options, spec: ServiceSpec, ctx: StepContext): Promise<ServerTurn[]> {
  const servers = await ctx.servers.connect(ctx.project.name);
  return servers.map((s) => ({ host: s.host, spec: onServer(spec, s.url, o) }));
}

const parallelOf = (ctx: PlanContext) => ctx.env.services[ctx.project.name]?.rollout?.parallel ?? 1;

export const rolloutStep: StepDefinition<typeof rolloutOptions> = {
  options: rolloutOptions,

  plan(o, ctx) {
    const runtime = runtimeFor(ctx);
    const spec = specOf(o, ctx, true);
    const service = ctx.env.services[ctx.project.name];
    const placements = service ? placementsOf(service, ctx.env.ssh) : [];
    if (!placements.length) return runtime.plan(spec, ctx);
    const parallel = parallelOf(ctx);
    return [
      {
        title: `on ${placements.length} server(s) over SSH (host keys pinned), ${parallel} at a time; the first that fails stops the roll-out and the servers done roll back`,
      },
      ...placements.flatMap((p) =>
        runtime.plan(onServer(spec, p.url, o), ctx).map((a) => ({
          title: `${p.target.label}: ${a.title}`,
          ...(a.command ? { command: describeOnServer(p.target.label, a.command) } : {}),
        })),
      ),
    ];
  },

  async preflight(o, ctx) {
    const runtime = runtimeFor(ctx);
    const spec = specOf(o, ctx, false);
    // Every server is connected here, before any step runs: a changed host key stops the deploy now.
    const turns = await turnsOf(o, spec, ctx);
    if (!turns.length) return runtime.preflight?.(spec, ctx);
    for (const turn of turns) await runtime.preflight?.(turn.spec, { ...ctx, host: turn.host });
  },

  async run(o, ctx) {
    const runtime = runtimeFor(ctx);
    const spec = specOf(o, ctx, false);
    const image = runtime.needsImage ? await imageToRun(ctx) : undefined;
    const turns = (await turnsOf(o, spec, ctx)).map((t) => ({ ...t, spec: { ...t.spec, image } }));
    if (!turns.length) {
      const started = await runtime.start({ ...spec, image }, ctx);
      return { url: started.url, artifact: started.artifact, image, detail: started.detail };
    }
    const rolled = await rollAcross(runtime, turns, ctx, parallelOf(ctx));
    return {
      url: spec.url,
      artifact: rolled.started[0]?.artifact,
      image,
      detail: `${turns.length} server(s): ${turns.map((t) => t.host.label).join(', ')}`,
      servers: rolled.servers,
    };
  },

  /** A later step failed (smoke): the previous version serves again (on every server), or the outcome says why not. */
  async rollback(o, ctx) {
    return restorePrevious(o, ctx);
  },

  async finish(o, ctx) {
    const runtime = runtimeFor(ctx);
    if (!runtime.settle) return;
    const turns = await turnsOf(o, specOf(o, ctx, false), ctx);
    if (!turns.length) return runtime.settle(ctx);
    for (const turn of turns) await runtime.settle({ ...ctx, host: turn.host });
  },
};

/** What a manual rollback would start again (the same on every server), or why it cannot: asked before anything changes. */
export async function previousVersion(o: Options, ctx: StepContext): Promise<KeptVersion | { problem: string }> {
  const turns = await turnsOf(o, specOf(o, ctx, false), ctx);
  return turns.length ? previousAcross(runtimeFor(ctx), turns, ctx) : runtimeFor(ctx).previous(ctx);
}

/** Puts the version that served before back (what a failed deploy does), checked healthy, on every server. */
export async function restorePrevious(o: Options, ctx: StepContext): Promise<RollbackOutcome> {
  const spec = specOf(o, ctx, false);
  const turns = await turnsOf(o, spec, ctx);
  return turns.length ? restoreAcross(runtimeFor(ctx), turns, ctx) : runtimeFor(ctx).restore(spec, ctx);
}
