import { z } from 'zod';
import type { PlanContext } from '../config/context.ts';
import { resolveDatabase } from '../config/database.ts';
import { runtimeOf } from '../config/environments.ts';
import { RUNTIME_KINDS } from '../config/runtime-kinds.ts';
import { healthCheck, serviceUrl } from '../config/services.ts';
import { interpolateRecord } from '../core/interpolate.ts';
import { RUNTIMES } from '../runtimes/registry.ts';
import type { KeptVersion, ServiceSpec } from '../runtimes/runtime.ts';
import { onHost, previousAcross, restoreAcross, rollAcross, type ServerTurn } from '../runtimes/rolling.ts';
import { proxyFor } from '../runtimes/traffic.ts';
import { localHost, type Host } from '../core/host.ts';
import type { ServiceProxy } from '../proxy/service-proxy.ts';
import { placementsOf } from '../config/servers.ts';
import { describeOnServer } from '../commands/ssh.ts';
import type { RollbackOutcome } from '../core/rollback.ts';
import type { Settings } from '../runtimes/settings.ts';
import { imageToRun } from '../step-kit/image-to-run.ts';
import { buildHint, defaultStartCommand, filesOption, serviceSource, sourceOption } from '../image/service-source.ts';
import type { StepContext, StepDefinition } from '../step-kit/step.ts';
import { ServiceState } from '../store/service-state.ts';
import type { BlobStore } from '../store/state-store.ts';

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

/**
 * Where the service runs in this environment, each with its spec and its proxy (when its versions
 * sit behind one): its servers, connected; or this machine.
 */
async function turnsOf(o: Options, spec: ServiceSpec, ctx: StepContext): Promise<{ onServers: boolean; turns: ServerTurn[] }> {
  const servers = await ctx.servers.connect(ctx.project.name);
  const keepPreviousWarm = ctx.env.proxy?.keepPreviousWarm === 'until-next-deploy';
  if (!servers.length) {
    const host = localHost(ctx.runner);
    return { onServers: false, turns: [{ host, spec, proxy: await proxyFor(ctx, host, spec.url), keepPreviousWarm }] };
  }
  const turns = servers.map(async (s) => ({
    host: s.host,
    spec: onServer(spec, s.url, o),
    proxy: await proxyFor(ctx, s.host, s.url),
    keepPreviousWarm,
  }));
  return { onServers: true, turns: await Promise.all(turns) };
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
    // Every server is connected here, before any step runs: a changed host key stops the deploy now;
    // so does a proxy that is required and missing.
    const { turns } = await turnsOf(o, specOf(o, ctx, false), ctx);
    for (const turn of turns) await runtime.preflight?.(turn.spec, onHost(ctx, turn));
  },

  async run(o, ctx) {
    const runtime = runtimeFor(ctx);
    const spec = specOf(o, ctx, false);
    const image = RUNTIME_KINDS[runtime.name].needsImage ? await imageToRun(ctx) : undefined;
    // What a rollback from another command needs of the project, so it need not compute Nx's project graph first.
    await rollbackCard(ctx.blobs, ctx.envName, ctx.project.name).write({ root: ctx.project.root, output: ctx.project.output, rolloutOptions: o });
    const { onServers, turns } = await turnsOf(o, { ...spec, image }, ctx);
    if (!onServers) {
      const [turn] = turns as [ServerTurn];
      const started = await runtime.start(turn.spec, onHost(ctx, turn));
      return {
        url: started.url,
        artifact: started.artifact,
        image,
        detail: started.detail,
        // Behind a proxy it serves only once the cut-over switches; otherwise it replaced the running version.
        ...(started.direct
          ? { direct: [{ url: started.direct }] }
          : { serves: true, ...(started.checkAt ? { direct: [{ url: started.checkAt }] } : {}) }),
      };
    }
    const rolled = await rollAcross(runtime, turns, ctx, parallelOf(ctx));
    const direct = rolled.started.flatMap((s, i) => (s.direct ? [{ server: turns[i]!.host.label, url: s.direct }] : []));
    return {
      url: spec.url,
      artifact: rolled.started[0]?.artifact,
      image,
      detail: `${turns.length} server(s): ${turns.map((t) => t.host.label).join(', ')}`,
      servers: rolled.servers,
      ...(direct.length ? { direct } : { serves: true }),
    };
  },

  /** A later step failed (smoke): the previous version serves again (on every server), or the outcome says why not. */
  async rollback(o, ctx) {
    return restorePrevious(o, ctx);
  },

  async finish(o, ctx) {
    const runtime = runtimeFor(ctx);
    if (!runtime.settle) return;
    const { turns } = await turnsOf(o, specOf(o, ctx, false), ctx);
    for (const turn of turns) await runtime.settle(onHost(ctx, turn));
  },
};

/** The project as the last roll-out saw it: its folders and roll-out options (templates, no secret value). */
export interface RollbackCard {
  root: string;
  output?: string;
  rolloutOptions: Record<string, unknown>;
}

export const rollbackCard = (blobs: BlobStore, envName: string, project: string) =>
  new ServiceState<RollbackCard>(blobs, envName, project, 'rollback-card');

/** Where the service runs (its servers, or this machine) and its proxy there: what the cut-over switches. */
export async function trafficPlaces(ctx: StepContext): Promise<{ host: Host; proxy?: ServiceProxy; keepPreviousWarm: boolean }[]> {
  const servers = await ctx.servers.connect(ctx.project.name);
  const keepPreviousWarm = ctx.env.proxy?.keepPreviousWarm === 'until-next-deploy';
  const places = servers.length
    ? servers.map((s) => ({ host: s.host as Host, url: s.url }))
    : [{ host: localHost(ctx.runner), url: serviceUrl(ctx) }];
  return Promise.all(places.map(async (p) => ({ host: p.host, proxy: await proxyFor(ctx, p.host, p.url), keepPreviousWarm })));
}

/** The runtime the service runs with here. */
export const serviceRuntime = runtimeFor;

/** What a manual rollback would start again (the same on every server), or why it cannot: asked before anything changes. */
export async function previousVersion(o: Options, ctx: StepContext): Promise<KeptVersion | { problem: string }> {
  const { onServers, turns } = await turnsOf(o, specOf(o, ctx, false), ctx);
  return onServers ? previousAcross(runtimeFor(ctx), turns, ctx) : runtimeFor(ctx).previous(onHost(ctx, turns[0]!));
}

/** Puts the version that served before back (what a failed deploy does), checked healthy, on every server. */
export async function restorePrevious(o: Options, ctx: StepContext): Promise<RollbackOutcome> {
  const { onServers, turns } = await turnsOf(o, specOf(o, ctx, false), ctx);
  return onServers ? restoreAcross(runtimeFor(ctx), turns, ctx) : runtimeFor(ctx).restore(turns[0]!.spec, onHost(ctx, turns[0]!));
}
