import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { resolveDatabase } from '../core/database.ts';
import { UserError } from '../core/errors.ts';
import { probe, waitUntil } from '../core/http-probe.ts';
import { interpolateRecord } from '../core/interpolate.ts';
import { healthPath, serviceUrl } from '../core/services.ts';
import { isOurProcess, readService, serviceStatePath, stopService, writeService } from './rollout-process.ts';
import { restorePrevious, rolloutContainer } from './rollout-container.ts';
import { restorePreviousManifests, rolloutKubernetes } from './rollout-kubernetes.ts';
import { restoreCompose, rolloutCompose } from './rollout-compose.ts';
import { runtimeOf } from '../config/environments.ts';
import type { StepDefinition, StepContext, PlanContext } from './step.ts';

const options = z.strictObject({
  environment: z.string().optional(),
  command: z.array(z.string()).min(1).default(['node', 'dist/main.js']).describe('runtime process: the argv that starts the service, run in the project folder'),
  env: z.record(z.string(), z.string()).default({}).describe('Environment of the service; values may use ${VAR}'),
  database: z.boolean().default(false).describe("Pass the environment's database URL as DATABASE_URL"),
  startTimeoutMs: z.int().positive().default(30_000).describe('How long the new version has to answer its health check'),
  composeFile: z.string().default('docker-compose.{environment}.yml').describe('runtime compose: the compose file (docker-compose.prod.yml is found for production)'),
  manifests: z.string().default('k8s/overlays/{environment}').describe('runtime kubernetes: the kustomize overlay of the environment'),
  manifestImage: z.string().optional().describe('runtime kubernetes: the image name the manifests use (default: the project name)'),
  rolloutTimeoutMs: z.int().positive().default(300_000).describe('runtime kubernetes: kubectl rollout status timeout'),
});
type Options = z.infer<typeof options>;

/** The service's environment: where to listen, what it is, its database and the configured extras. */
function serviceEnv(o: Options, ctx: PlanContext & { gitSha?: string }, lenient: boolean): Record<string, string> {
  const url = new URL(serviceUrl(ctx, undefined));
  const env: Record<string, string> = {
    HOST: url.hostname,
    PORT: url.port || (url.protocol === 'https:' ? '443' : '80'),
    APP_VERSION: ctx.project.version,
    GIT_SHA: ctx.gitSha ?? 'unknown',
  };
  if (o.database) env.DATABASE_URL = resolveDatabase(ctx, lenient).url;
  return { ...env, ...interpolateRecord(o.env, ctx.environ, `${ctx.project.name} roll-out env`, lenient) };
}

async function runProcess(o: Options, ctx: StepContext) {
  const url = serviceUrl(ctx, undefined);
  const statePath = serviceStatePath(ctx.stateDir, ctx.envName, ctx.project.name);
  const env = serviceEnv(o, ctx, false);
  if (env.DATABASE_URL) ctx.redactor.add(env.DATABASE_URL);
  const previous = readService(statePath);
  if (previous && isOurProcess(previous)) {
    ctx.log.info(`stopping the running version ${previous.version} (pid ${previous.pid})`);
    await stopService(previous);
  }
  const logDir = join(ctx.stateDir, 'logs', ctx.envName);
  mkdirSync(logDir, { recursive: true });
  const log = join(logDir, `${ctx.project.name}.log`);
  const pid = ctx.runner.spawnDetached({ argv: o.command, cwd: join(ctx.workspaceRoot, ctx.project.root), env }, log);
  writeService(statePath, {
    pid,
    argv: o.command,
    url,
    version: ctx.project.version,
    gitSha: ctx.gitSha,
    deployId: ctx.deployId,
    startedAt: new Date().toISOString(),
    log,
  });
  const health = `${url}${healthPath(ctx)}`;
  const failure = await waitUntil(
    async () => {
      if (!isOurProcess({ pid, argv: o.command } as never)) return 'the process exited';
      const res = await probe(health, { timeoutMs: 2_000 });
      return res.status === 200 ? undefined : `health answered ${res.status}`;
    },
    { deadlineMs: o.startTimeoutMs, intervalMs: 200 },
  );
  if (failure) {
    throw new UserError(`${ctx.project.name}: the new version did not become healthy at ${health} within ${o.startTimeoutMs / 1000} s (${failure}). Its log: ${log}`);
  }
  ctx.log.info(`running: pid ${pid}, ${url}`);
  return { url, artifact: `pid:${pid}`, detail: `${ctx.project.version} running` };
}

export const rolloutStep: StepDefinition<typeof options> = {
  name: 'rollout',
  description: "Replace the running version of a backend service: a local process (runtime 'process') or a container of the pushed image (runtime 'container', with rollback)",
  options,

  plan(o, ctx) {
    const env = serviceEnv(o, ctx, true);
    if (runtimeOf(ctx.env, ctx.project.name) === 'kubernetes') {
      return [
        { title: `render ${o.manifests.replaceAll('{environment}', ctx.envName)} with the image pinned to the pushed digest`, command: { argv: ['kubectl', 'kustomize', '<pinned kustomization>'] } },
        { title: 'apply', command: { argv: ['kubectl', 'apply', '-f', '<rendered manifests>'] } },
        { title: 'wait for each Deployment', command: { argv: ['kubectl', 'rollout', 'status', 'deployment/<name>', '--namespace', '<namespace>', `--timeout=${o.rolloutTimeoutMs / 1000}s`] } },
        { title: 'if it does not complete, or a later step fails: apply the previous manifests again' },
      ];
    }
    if (runtimeOf(ctx.env, ctx.project.name) === 'compose') {
      return [
        { title: `bring ${o.composeFile.replaceAll('{environment}', ctx.envName)} up with POD_IMAGE = the pushed image by digest; service settings (${Object.keys(env).join(', ')}) as environment variables` },
        { title: `wait until ${serviceUrl(ctx, undefined)}${healthPath(ctx)} answers 200; if not, or if a later step fails, bring it up again with the previous image` },
      ];
    }
    if (runtimeOf(ctx.env, ctx.project.name) === 'container') {
      return [
        { title: 'stop the running container (kept as previous, for a rollback)' },
        { title: `run the pushed image by digest on the host network, its environment (${Object.keys(env).join(', ')}) from a 0600 env file` },
        { title: `wait until ${serviceUrl(ctx, undefined)}${healthPath(ctx)} answers 200; if not, or if a later step fails, start the previous container again` },
      ];
    }
    return [
      { title: `stop the running ${ctx.project.name} (recorded PID in ${serviceStatePath(ctx.stateDir, ctx.envName, ctx.project.name)})` },
      { title: 'start the new version', command: { argv: o.command, cwd: join(ctx.workspaceRoot, ctx.project.root), env } },
      { title: `wait until ${serviceUrl(ctx, undefined)}${healthPath(ctx)} answers 200` },
    ];
  },

  async run(o, ctx) {
    switch (runtimeOf(ctx.env, ctx.project.name)) {
      case 'kubernetes':
        return rolloutKubernetes(o, ctx);
      case 'compose': {
        const env = serviceEnv(o, ctx, false);
        return rolloutCompose(env, o.composeFile, `${serviceUrl(ctx, undefined)}${healthPath(ctx)}`, o.startTimeoutMs, ctx);
      }
      case 'process':
        return runProcess(o, ctx);
      case 'container': {
        const env = serviceEnv(o, ctx, false);
        for (const v of Object.values(env)) if (v.startsWith('postgres')) ctx.redactor.add(v);
        return rolloutContainer(env, `${serviceUrl(ctx, undefined)}${healthPath(ctx)}`, o.startTimeoutMs, ctx);
      }
    }
  },

  /** A later step failed (smoke): the previous container serves again. */
  async rollback(o, ctx) {
    switch (runtimeOf(ctx.env, ctx.project.name)) {
      case 'container':
        return restorePrevious(ctx, o.startTimeoutMs, `${serviceUrl(ctx, undefined)}${healthPath(ctx)}`);
      case 'kubernetes':
        return restorePreviousManifests(o, ctx);
      case 'compose':
        return restoreCompose(serviceEnv(o, ctx, false), o.composeFile, `${serviceUrl(ctx, undefined)}${healthPath(ctx)}`, o.startTimeoutMs, ctx);
      case 'process':
        return 'local processes are not rolled back: fix and deploy again';
    }
  },
};
