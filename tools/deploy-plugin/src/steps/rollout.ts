import { z } from 'zod';
import type { PlanContext } from '../config/context.ts';
import { resolveDatabase } from '../config/database.ts';
import { runtimeOf } from '../config/environments.ts';
import { healthCheck, serviceUrl } from '../config/services.ts';
import { interpolateRecord } from '../core/interpolate.ts';
import { RUNTIMES } from '../runtimes/registry.ts';
import type { KeptVersion, RuntimeContext, ServiceSpec } from '../runtimes/runtime.ts';
import type { RollbackOutcome } from '../core/rollback.ts';
import type { Settings } from '../runtimes/settings.ts';
import { imageToRun } from './image-to-run.ts';
import { buildHint, defaultStartCommand, filesOption, serviceSource, sourceOption } from '../image/service-source.ts';
import type { StepDefinition } from './step.ts';

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

export const rolloutStep: StepDefinition<typeof rolloutOptions> = {
  options: rolloutOptions,

  plan(o, ctx) {
    return runtimeFor(ctx).plan(specOf(o, ctx, true), ctx);
  },

  async preflight(o, ctx) {
    await runtimeFor(ctx).preflight?.(specOf(o, ctx, false), ctx);
  },

  async run(o, ctx) {
    const runtime = runtimeFor(ctx);
    const spec = specOf(o, ctx, false);
    const image = runtime.needsImage ? await imageToRun(ctx) : undefined;
    const started = await runtime.start({ ...spec, image }, ctx);
    return { url: started.url, artifact: started.artifact, image, detail: started.detail };
  },

  /** A later step failed (smoke): the previous version serves again, or the outcome says why not. */
  async rollback(o, ctx) {
    return runtimeFor(ctx).restore(specOf(o, ctx, false), ctx);
  },
};

/** What a manual rollback would start again, or why it cannot: asked before anything changes. */
export function previousVersion(ctx: RuntimeContext): Promise<KeptVersion | { problem: string }> {
  return runtimeFor(ctx).previous(ctx);
}

/** Puts the version that served before back (what a failed deploy does), checked healthy. */
export function restorePrevious(o: Options, ctx: RuntimeContext): Promise<RollbackOutcome> {
  return runtimeFor(ctx).restore(specOf(o, ctx, false), ctx);
}
